// The dashboard's charts: Sluice's own history (GET /api/v1/history, one point a second for 15 minutes) drawn with
// uPlot, which is served from the admin listener like this file. The history is kept by the server, so a page opened
// after a spike shows it; the page then asks only for what is newer than its last point and appends it.
// Each chart's <figure> carries what it holds, for people reading the page's source and for the browser test:
// data-points (how many points), data-max (each series' largest value, as JSON) and data-events (marks drawn).
"use strict";

const Charts = (() => {
  const HEIGHT = 200;
  const PALETTE = ["#0b6bcb", "#d9480f", "#2b8a3e", "#ae3ec9", "#1098ad", "#c92a2a", "#5c940d", "#f08c00",
    "#495057", "#364fc7"];
  const EVENT_COLOURS = { limit: "#7048e8", down: "#c92a2a", up: "#2b8a3e", mode: "#f08c00" };
  const EVENTS_LISTED = 50;

  let hist = null;
  let charts = [];

  // What each chart shows: a title, a unit, its series as [label, column of the history], and which events it marks.
  function specs(h) {
    const notLimits = e => e.kind !== "limit";
    const list = [
      { id: "queue-depth", title: "Queue depth", unit: "requests",
        series: [["depth", x => x.queue.depth]], events: notLimits },
      { id: "drain", title: "Drain rate and arrivals", unit: "requests/s",
        series: [["drained/s", x => x.queue.drainPerSecond], ["received/s", x => x.received]], events: notLimits },
      { id: "wait", title: "Queue wait", unit: "ms",
        series: [["p50", x => x.queue.waitP50Ms], ["p99", x => x.queue.waitP99Ms], ["oldest", x => x.queue.oldestWaitMs]],
        events: notLimits },
    ];
    h.backends.forEach((b, i) => list.push({
      id: "backend-" + i, title: "Backend " + b.name + ": limit and in flight", unit: "requests",
      series: [["limit", x => x.backends[i].limit], ["in flight", x => x.backends[i].inflight]],
      events: e => e.backend === b.name || e.kind === "mode",
    }));
    list.push({
      id: "kernel", title: "Kernel accept queues", unit: "connections",
      series: h.listeners.map((l, i) => ["listener " + l.address, x => x.listeners[i].kernelQueue])
        .concat(h.backends.map((b, i) => ["backend " + b.name, x => x.backends[i].kernelQueue])),
      events: notLimits,
    });
    list.push({
      id: "outcomes", title: "Outcomes per second", unit: "requests/s",
      series: Object.keys(h.outcomes).map(k => [k, x => x.outcomes[k]]), events: notLimits,
    });
    return list;
  }

  function shapeOf(h) {
    return JSON.stringify([h.backends.map(b => b.name), h.listeners.map(l => l.address), Object.keys(h.outcomes)]);
  }

  // Every column of a history, in one order, so that two of the same shape can be appended column by column.
  function columns(h) {
    const cols = [h.t, h.queue.depth, h.queue.drainPerSecond, h.queue.waitP50Ms, h.queue.waitP99Ms,
      h.queue.oldestWaitMs, h.received];
    for (const k of Object.keys(h.outcomes)) cols.push(h.outcomes[k]);
    for (const b of h.backends) cols.push(b.limit, b.inflight, b.kernelQueue);
    for (const l of h.listeners) cols.push(l.kernelQueue);
    return cols;
  }

  // Appends what is newer; a history of another shape (Sluice restarted with other backends) replaces the page's.
  function merge(add) {
    if (!hist || shapeOf(hist) !== shapeOf(add)) {
      hist = add;
      return true;
    }
    const mine = columns(hist);
    const theirs = columns(add);
    for (let i = 0; i < mine.length; i++) {
      for (const v of theirs[i]) mine[i].push(v);
    }
    for (const e of add.events) hist.events.push(e);
    const extra = hist.t.length - hist.capacity;
    if (extra > 0) for (const c of mine) c.splice(0, extra);
    const first = hist.t.length ? hist.t[0] : Infinity;
    hist.events = hist.events.filter(e => e.t >= first);
    if (add.end !== null) hist.end = add.end;
    return false;
  }

  function since() {
    return hist && hist.t.length ? hist.t[hist.t.length - 1] : null;
  }

  // Marks events as vertical lines over the plot: dashed for a limit change.
  function eventMarks(spec, fig) {
    return {
      hooks: {
        draw: [u => {
          const { left, top, width, height } = u.bbox;
          const ctx = u.ctx;
          let drawn = 0;
          for (const e of hist ? hist.events : []) {
            if (!spec.events(e)) continue;
            const x = Math.round(u.valToPos(e.t, "x", true));
            if (x < left || x > left + width) continue;
            ctx.save();
            ctx.strokeStyle = EVENT_COLOURS[e.kind] || "#868e96";
            ctx.lineWidth = Math.max(1, devicePixelRatio);
            ctx.setLineDash(e.kind === "limit" ? [4, 4] : []);
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + height);
            ctx.stroke();
            ctx.restore();
            drawn++;
          }
          fig.dataset.events = String(drawn);
        }],
      },
    };
  }

  function build(box) {
    for (const c of charts) c.u.destroy();
    box.replaceChildren();
    // Every figure is placed first, so that each plot is measured in its final column.
    const placed = specs(hist).map(spec => {
      const fig = document.createElement("figure");
      fig.className = "chart";
      fig.id = "chart-" + spec.id;
      const cap = document.createElement("figcaption");
      cap.textContent = spec.title + " (" + spec.unit + ")";
      const plot = document.createElement("div");
      fig.append(cap, plot);
      box.appendChild(fig);
      return { spec, fig, plot };
    });
    charts = placed.map(({ spec, fig, plot }) => {
      const opts = {
        width: width(plot),
        height: HEIGHT,
        ms: 1,
        cursor: { sync: { key: "sluice" } },
        scales: { x: { time: true } },
        axes: [{}, { size: 56 }],
        series: [{}].concat(spec.series.map(([label], i) => ({
          label, stroke: PALETTE[i % PALETTE.length], width: 1.5,
        }))),
        plugins: [eventMarks(spec, fig)],
      };
      return { spec, fig, plot, u: new uPlot(opts, data(spec), plot) };
    });
  }

  function width(plot) {
    return Math.max(300, plot.clientWidth || 400);
  }

  function data(spec) {
    return [hist.t].concat(spec.series.map(([, column]) => column(hist)));
  }

  function describe(c) {
    const max = {};
    c.u.series.forEach((s, i) => {
      if (i === 0) return;
      let m = null;
      for (const v of c.u.data[i]) if (v !== null && v !== undefined && (m === null || v > m)) m = v;
      max[s.label] = m;
    });
    c.fig.dataset.points = String(c.u.data[0].length);
    c.fig.dataset.max = JSON.stringify(max);
  }

  function listEvents() {
    const ol = document.getElementById("events");
    const recent = hist.events.slice(-EVENTS_LISTED).reverse();
    if (recent.length === 0) {
      const li = document.createElement("li");
      li.className = "none";
      li.textContent = "none in the last 15 minutes";
      ol.replaceChildren(li);
      return;
    }
    ol.replaceChildren(...recent.map(e => {
      const li = document.createElement("li");
      li.className = "ev " + e.kind;
      const time = document.createElement("time");
      time.dateTime = new Date(e.t).toISOString();
      time.textContent = new Date(e.t).toLocaleTimeString();
      li.append(time, " " + (e.backend ? e.backend + ": " : "") + e.text);
      return li;
    }));
  }

  // Takes the server's answer to GET history[?since=...] and redraws.
  function update(answer) {
    const box = document.getElementById("charts");
    const rebuilt = merge(answer) || charts.length === 0;
    if (rebuilt) build(box);
    for (const c of charts) {
      if (!rebuilt) c.u.setData(data(c.spec));
      describe(c);
    }
    listEvents();
  }

  function resize() {
    for (const c of charts) c.u.setSize({ width: width(c.plot), height: HEIGHT });
  }

  let resizing = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(resize, 150);
  });

  return { update, since };
})();
