// The Sluice dashboard: polls /api/v1/status and /api/v1/history every second (the charts are in charts.js) and
// edits the limits with PATCH /api/v1/limits.
// The admin token, when one is set, is kept in sessionStorage: it lasts as long as this tab and is sent only to
// this origin. Every value is written with textContent, never as HTML.
"use strict";

const TOKEN_KEY = "sluice-admin-token";
const API = "api/v1/";
let limitsLoaded = false;
let polling = false;
let pollAgain = false;

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

async function call(method, path, body) {
  const headers = {};
  if (token()) headers["Authorization"] = "Bearer " + token();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const resp = await fetch(API + path, {
    method, headers, cache: "no-store", body: body === undefined ? undefined : JSON.stringify(body),
  });
  let json = null;
  try { json = await resp.json(); } catch (e) { /* not JSON: reported with the status */ }
  if (!resp.ok) {
    const err = new Error(json && json.error ? json.error : resp.status + " " + resp.statusText);
    err.status = resp.status;
    throw err;
  }
  return json;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const c of cells) tr.appendChild(c instanceof Node ? wrap(c) : el("td", c));
  return tr;
}

function wrap(node) {
  const td = document.createElement("td");
  td.appendChild(node);
  return td;
}

function figures(dl, pairs) {
  dl.replaceChildren(...pairs.map(([k, v]) => {
    const d = document.createElement("div");
    d.append(el("dt", k), el("dd", v));
    return d;
  }));
}

function kernelQueue(q, unknown) {
  return q ? q.depth + " / " + q.max : "unknown" + (unknown ? " (" + unknown + ")" : "");
}

// The limit's last move in one short cell: "↑ 8 slow_start 1.2 s ago"; empty while it never moved.
function lastDecision(d) {
  if (!d) return "";
  const ago = d.agoMs < 60000 ? (d.agoMs / 1000).toFixed(1) + " s" : Math.round(d.agoMs / 60000) + " min";
  return (d.direction === "up" ? "\u2191 " : "\u2193 ") + d.to + " " + d.reason + " " + ago + " ago";
}

function setState(text, kind) {
  const s = document.getElementById("state");
  s.textContent = text;
  s.className = "state " + (kind || "");
}

/** "normal" or "overloaded", with how long ago it last changed. */
function modeText(q) {
  if (q.mode === undefined) return "";
  const since = q.modeChangedAgoMs == null ? "" : " for " + (q.modeChangedAgoMs / 1000).toFixed(0) + " s";
  return q.mode + since;
}

function render(st) {
  const q = st.queue;
  figures(document.getElementById("queue"), [
    ["depth", q.depth], ["peak", q.peak],
    ["max", q.max === "max" ? "max (" + q.effectiveMax + ")" : q.max],
    ["timeout", (q.timeoutMs / 1000) + " s"], ["oldest wait", (q.oldestWaitMs / 1000).toFixed(1) + " s"],
    ["drain", q.drainPerSecond + " /s"],
    ["discipline", q.discipline + (q.discipline === "adaptive" ? " (target " + q.targetMs + " ms)" : "")],
    ["mode", modeText(q)],
  ]);
  document.getElementById("backends").replaceChildren(...st.backends.map(b => {
    const limit = b.limit.setting === "auto" ? "auto (" + b.limit.current + ")" : b.limit.current;
    return row([b.name, el("span", b.address, "address"), b.protocol, limit, lastDecision(b.limit.lastDecision),
      b.inflight, kernelQueue(b.kernelQueue, b.kernelQueueUnknown),
      b.paused ? el("span", "backing off", "paused") : ""]);
  }));
  document.getElementById("listeners").replaceChildren(...st.listeners.map(l => row([
    el("span", l.address, "address"), l.backlog.setting === "max" ? "max (" + l.backlog.effective + ")" : l.backlog.effective,
    l.backlog.somaxconn, kernelQueue(l.kernelQueue, l.kernelQueueUnknown),
  ])));
  figures(document.getElementById("totals"), Object.entries(st.totals));
  if (st.fds) {
    document.getElementById("fds").textContent =
      "file descriptors: " + st.fds.open + " open, limit " + st.fds.soft + " (hard " + st.fds.hard + ")";
  }
  if (st.buffers) {
    const mib = n => (n / 1048576).toFixed(1) + " MiB";
    document.getElementById("buffers").textContent = "buffered: " + mib(st.buffers.memory) + " of "
      + mib(st.buffers.memoryBudget) + " in memory, " + mib(st.buffers.disk) + " of " + mib(st.buffers.diskBudget)
      + " on disk";
  }
}

// One poll at a time: the history is asked for what is newer than the last point the charts hold, so two polls
// in flight at once would append the same points twice.
async function poll() {
  if (polling) {
    pollAgain = true;
    return;
  }
  polling = true;
  try {
    render(await call("GET", "status"));
    const since = Charts.since();
    Charts.update(await call("GET", "history" + (since === null ? "" : "?since=" + since)));
    setState("live", "ok");
    if (!limitsLoaded) await loadLimits();
  } catch (e) {
    setState(e.status === 401 ? "token needed: paste it above" : e.status === 403 ? e.message
      : "no answer: " + e.message, "bad");
  } finally {
    polling = false;
  }
  if (pollAgain) {
    pollAgain = false;
    poll();
  }
}

function limitInputs(limits) {
  const fields = [["backlog", limits.backlog], ["queue.max", limits.queue.max],
    ["queue.timeout", limits.queue.timeout]];
  if (limits.queue.discipline !== undefined) {
    fields.push(["queue.discipline", limits.queue.discipline], ["queue.target", limits.queue.target]);
  }
  for (const [name, b] of Object.entries(limits.backends)) fields.push(["backend." + name + ".limit", b.limit]);
  return fields;
}

async function loadLimits() {
  const limits = await call("GET", "limits");
  const box = document.getElementById("limit-fields");
  box.replaceChildren();
  for (const [name, value] of limitInputs(limits)) {
    const id = "limit-" + name.replace(/[^A-Za-z0-9_-]/g, "_");
    const label = el("label", name);
    label.htmlFor = id;
    const input = document.createElement("input");
    input.id = id;
    input.name = name;
    input.value = String(value);
    input.dataset.loaded = String(value);
    box.append(label, input);
  }
  limitsLoaded = true;
}

// Only what was edited is sent, so a change made elsewhere meanwhile is not overwritten.
function patchFromForm() {
  const patch = {};
  for (const input of document.querySelectorAll("#limit-fields input")) {
    const value = input.value.trim();
    if (value === input.dataset.loaded) continue;
    const name = input.name;
    if (name === "backlog") patch.backlog = value;
    else if (name.startsWith("queue.")) (patch.queue = patch.queue || {})[name.slice(6)] = value;
    else {
      const backend = name.slice("backend.".length, -".limit".length);
      (patch.backends = patch.backends || {})[backend] = { limit: value };
    }
  }
  return patch;
}

function result(text, kind) {
  const r = document.getElementById("limits-result");
  r.textContent = text;
  r.className = kind;
}

document.getElementById("limits").addEventListener("submit", async ev => {
  ev.preventDefault();
  const patch = patchFromForm();
  if (Object.keys(patch).length === 0) {
    result("nothing changed", "");
    return;
  }
  try {
    await call("PATCH", "limits", patch);
    await loadLimits();
    result("applied", "ok");
  } catch (e) {
    result(e.message, "bad");
  }
});

document.getElementById("reload").addEventListener("click", () => loadLimits().then(() => result("", ""),
  e => result(e.message, "bad")));

document.getElementById("token-form").addEventListener("submit", ev => {
  ev.preventDefault();
  const input = document.getElementById("token");
  sessionStorage.setItem(TOKEN_KEY, input.value.trim());
  input.value = "";
  input.placeholder = "token in use for this tab";
  limitsLoaded = false;
  poll();
});

document.getElementById("forget").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  document.getElementById("token").placeholder = "admin token, if one is set";
  limitsLoaded = false;
  poll();
});

if (token()) document.getElementById("token").placeholder = "token in use for this tab";
poll();
setInterval(poll, 1000);
