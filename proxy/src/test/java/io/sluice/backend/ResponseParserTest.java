package io.sluice.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResponseParserTest {

  private static final int MAX_HEAD = 8192;

  /** Writes what the listener sees as text, one body per response, so differently split inputs compare equal. */
  private static final class Recorder implements ResponseDecoder.Listener {
    final StringBuilder log = new StringBuilder();
    final List<ResponseHead> heads = new ArrayList<>();
    final List<Buffer> pieces = new ArrayList<>();
    ResponseParser parser;
    private Buffer body;

    @Override
    public void onHead(ResponseHead head) {
      heads.add(head);
      log.append("head ").append(head.status()).append(" \"").append(head.reason()).append("\" 1.")
          .append(head.minorVersion()).append(" length=").append(head.contentLength())
          .append(" chunked=").append(head.chunked()).append(" keepAlive=").append(head.keepAlive());
      for (Map.Entry<String, String> h : head.headers()) {
        log.append(" [").append(h.getKey()).append(": ").append(h.getValue()).append(']');
      }
      log.append('\n');
      body = Buffer.buffer();
    }

    @Override
    public void onBody(Buffer data) {
      assertTrue(data.length() > 0, "empty body piece");
      pieces.add(data);
      body.appendBuffer(data);
    }

    @Override
    public void onEnd() {
      log.append("body \"").append(body.toString(StandardCharsets.ISO_8859_1)).append("\"\n");
      log.append("end reusable=").append(parser.reusable()).append('\n');
    }
  }

  private static Recorder recorder() {
    Recorder r = new Recorder();
    r.parser = new ResponseParser(r, MAX_HEAD);
    return r;
  }

  private static Buffer bytes(String latin1) {
    return Buffer.buffer(latin1.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** Feeds {@code input} cut at the given offsets, then ends the input if asked; returns the log, errors included. */
  private static String parse(String method, String input, boolean eof, int... cuts) {
    Recorder r = recorder();
    r.parser.expect(method);
    Buffer all = bytes(input);
    int from = 0;
    try {
      for (int cut : cuts) {
        r.parser.feed(all.slice(from, cut));
        from = cut;
      }
      r.parser.feed(all.slice(from, all.length()));
      if (eof) {
        r.parser.endOfInput();
      }
    } catch (MalformedResponseException e) {
      r.log.append("error ").append(e.getMessage()).append('\n');
    }
    return r.log.toString();
  }

  private static String parse(String input) {
    return parse("GET", input, false);
  }

  private static String error(String method, String input, boolean eof) {
    String log = parse(method, input, eof);
    int at = log.indexOf("error ");
    assertTrue(at >= 0, "expected an error, got: " + log);
    return log.substring(at + "error ".length()).trim();
  }

  private static String error(String input) {
    return error("GET", input, false);
  }

  // ---- framing ----

  @Test
  void contentLengthBody() {
    assertEquals(
        "head 200 \"OK\" 1.1 length=5 chunked=false keepAlive=true [Content-Length: 5] [x-Mixed-Case: a b]\n"
            + "body \"hello\"\nend reusable=true\n",
        parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nx-Mixed-Case: \t a b \t\r\n\r\nhello"));
  }

  @Test
  void emptyContentLengthBodyEndsWithTheHead() {
    assertEquals("head 200 \"OK\" 1.1 length=0 chunked=false keepAlive=true [Content-Length: 0]\n"
        + "body \"\"\nend reusable=true\n", parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  }

  @Test
  void chunkedBodyWithExtensionsAndTrailers() {
    assertEquals(
        "head 200 \"OK\" 1.1 length=-1 chunked=true keepAlive=true [Transfer-Encoding: chunked]\n"
            + "body \"hello world, 0123456789\"\nend reusable=true\n",
        parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n"
            + "6 ; a ; b=\"c d\"\r\n world\r\n"
            + "2\t\r\n, \r\n"
            + "00a\r\n0123456789\r\n"
            + "0;last\r\nTrailer-A: 1\r\nTrailer-B: 2\r\n\r\n"));
  }

  @Test
  void chunkedIsTheFinalCodingAcrossListsAndFields() {
    assertTrue(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n").contains("chunked=true"));
    assertTrue(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: CHUNKED \r\n\r\n0\r\n\r\n")
        .contains("chunked=true"));
    // Not ending in chunked: the body runs to the close.
    assertEquals("head 200 \"OK\" 1.1 length=-1 chunked=false keepAlive=false [Transfer-Encoding: chunked, gzip]\n"
            + "body \"raw\"\nend reusable=false\n",
        parse("GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nraw", true));
  }

  @Test
  void transferEncodingOverridesContentLengthButTheConnectionIsNotReused() {
    assertEquals("head 200 \"OK\" 1.1 length=-1 chunked=true keepAlive=false"
            + " [Content-Length: 100] [Transfer-Encoding: chunked]\nbody \"ab\"\nend reusable=false\n",
        parse("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n"));
  }

  @Test
  void closeDelimitedBodyEndsAtEndOfInput() {
    Recorder r = recorder();
    r.parser.expect("GET");
    assertDoesNotFail(() -> r.parser.feed(bytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nabc")));
    assertEquals("head 200 \"OK\" 1.1 length=-1 chunked=false keepAlive=false [Content-Type: text/plain]\n",
        r.log.toString());
    assertTrue(r.heads.get(0).closeDelimited());
    assertDoesNotFail(() -> r.parser.feed(bytes("def")));
    assertDoesNotFail(r.parser::endOfInput);
    assertTrue(r.log.toString().endsWith("body \"abcdef\"\nend reusable=false\n"), r.log.toString());
    assertFalse(r.parser.reusable());
  }

  @Test
  void responsesWithoutBody() {
    assertEquals("head 200 \"OK\" 1.1 length=0 chunked=false keepAlive=true [Content-Length: 100]\n"
        + "body \"\"\nend reusable=true\n", parse("HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", false));
    assertEquals("head 200 \"OK\" 1.1 length=0 chunked=false keepAlive=true [Transfer-Encoding: chunked]\n"
        + "body \"\"\nend reusable=true\n", parse("HEAD", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false));
    assertEquals("head 204 \"No Content\" 1.1 length=0 chunked=false keepAlive=true\nbody \"\"\nend reusable=true\n",
        parse("HTTP/1.1 204 No Content\r\n\r\n"));
    assertEquals("head 304 \"\" 1.1 length=0 chunked=false keepAlive=true [ETag: \"x\"] [Content-Length: 10]\n"
        + "body \"\"\nend reusable=true\n", parse("HTTP/1.1 304 \r\nETag: \"x\"\r\nContent-Length: 10\r\n\r\n"));
  }

  @Test
  void interimResponsesAreSkipped() {
    assertEquals("head 200 \"OK\" 1.1 length=2 chunked=false keepAlive=true [Content-Length: 2]\n"
            + "body \"ok\"\nend reusable=true\n",
        parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    assertEquals("head 200 \"OK\" 1.1 length=2 chunked=false keepAlive=true [Content-Length: 2]\n"
            + "body \"ok\"\nend reusable=true\n",
        parse("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
            + "HTTP/1.1 102 Processing\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    assertEquals("101 Switching Protocols, but no upgrade was requested",
        error("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"));
  }

  @Test
  void keepAliveFollowsVersionAndConnection() {
    assertTrue(parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").endsWith("end reusable=true\n"));
    assertTrue(parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
        .contains("keepAlive=false"));
    assertTrue(parse("HTTP/1.1 200 OK\r\nConnection: Upgrade, CLOSE\r\nContent-Length: 0\r\n\r\n")
        .endsWith("end reusable=false\n"));
    assertTrue(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").contains("1.0 length=0 chunked=false keepAlive=false"));
    assertTrue(parse("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n")
        .endsWith("end reusable=true\n"));
    assertTrue(parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
        .endsWith("end reusable=false\n"));
    // A later minor version is read as 1.1.
    assertTrue(parse("HTTP/1.7 200 OK\r\nContent-Length: 0\r\n\r\n").contains("1.1 length=0 chunked=false keepAlive=true"));
  }

  @Test
  void contentLengthValues() {
    assertTrue(parse("HTTP/1.1 200 OK\r\nContent-Length: 2, 2 ,2\r\nContent-Length: 002\r\n\r\nok")
        .contains("length=2 "));
    assertEquals("conflicting Content-Length values: 5 and 6",
        error("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"));
    assertEquals("conflicting Content-Length values: 5 and 6", error("HTTP/1.1 200 OK\r\nContent-Length: 5,6\r\n\r\n"));
    assertEquals("invalid Content-Length: \"5a\"", error("HTTP/1.1 200 OK\r\nContent-Length: 5a\r\n\r\n"));
    assertEquals("invalid Content-Length: \"-1\"", error("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"));
    assertEquals("invalid Content-Length: \"\"", error("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n"));
    assertEquals("invalid Content-Length: \"1,\"", error("HTTP/1.1 200 OK\r\nContent-Length: 1,\r\n\r\n"));
    assertEquals("Content-Length too large: \"9223372036854775808\"",
        error("HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775808\r\n\r\n"));
    assertTrue(parse("HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775807\r\n\r\n")
        .contains("length=9223372036854775807 "));
  }

  @Test
  void transferEncodingInHttp10IsAnError() {
    assertEquals("Transfer-Encoding in an HTTP/1.0 response",
        error("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
  }

  @Test
  void bareLineFeedsAreAccepted() {
    assertEquals("head 200 \"OK\" 1.1 length=-1 chunked=true keepAlive=true [Transfer-Encoding: chunked] [X: y]\n"
            + "body \"okay\"\nend reusable=true\n",
        parse("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\r\nX: y\n\n2\nok\r\n2;e\nay\n0\nT: 1\n\n"));
  }

  // ---- malformed heads ----

  @Test
  void invalidStatusLines() {
    for (String line : new String[] {
        "HTTP/1.1 20 OK", "HTTP/1.1 200OK", "HTTP/1.1 099 Low", "HTTP/1.1 2000 OK", "HTTP/1.1  200 OK",
        "HTTP/1.x 200 OK", "HTTP/1.1 abc", "HTTP/1.1", "HTTP/1.1 200 O\u0001K", "HTTP/1.1 200 O\rK"}) {
      assertEquals("invalid status line: \"" + line.replace("\u0001", "\\x01").replace("\r", "\\x0d") + "\"",
          error(line + "\r\n\r\n"), line);
    }
    assertEquals("not an HTTP/1.x response: \"HTTP/2\"", error("HTTP/2 200 OK\r\n\r\n"));
    assertEquals("not an HTTP/1.x response: \"HTTP/0\"", error("HTTP/0.9 200 OK\r\n\r\n"));
    assertEquals("not an HTTP/1.x response: \"h\"", error("http/1.1 200 OK\r\n\r\n"));
    assertEquals("not an HTTP/1.x response: \"\\x0d\"", error("\r\nHTTP/1.1 200 OK\r\n\r\n"));
  }

  @Test
  void garbageFailsAtItsFirstWrongByte() {
    assertEquals("not an HTTP/1.x response: \"\\x00\"", error("\u0000\u0001\u0002garbage that never ends"));
    assertEquals("not an HTTP/1.x response: \"S\"", error("SSH-2.0-OpenSSH_9.6\r\n"));
    // A uwsgi packet header where a response was expected (e.g. the wrong protocol configured).
    assertEquals("not an HTTP/1.x response: \"\\x00\"", error("\u0000\u0010\u0000\u0000"));
  }

  @Test
  void invalidHeaderLines() {
    String status = "HTTP/1.1 200 OK\r\n";
    assertEquals("a header line starts with whitespace (obsolete line folding)",
        error(status + "X-A: a\r\n  continued\r\n\r\n"));
    assertEquals("a header line starts with whitespace (obsolete line folding)",
        error(status + "\tX-A: a\r\n\r\n"));
    assertEquals("invalid character 0x20 in header name \"X-A\"", error(status + "X-A : a\r\n\r\n"));
    assertEquals("empty header name", error(status + ": a\r\n\r\n"));
    assertEquals("header line without a colon: \"NoColon\"", error(status + "NoColon\r\n\r\n"));
    assertEquals("invalid character 0x00 in the value of header \"X-A\"", error(status + "X-A: a\u0000b\r\n\r\n"));
    assertEquals("invalid character 0x0d in the value of header \"X-A\"", error(status + "X-A: a\rb\r\n\r\n"));
    assertEquals("invalid character 0x0d in the value of header \"X-A\"", error(status + "X-A: a\r\r\n\r\n"));
    assertEquals("invalid character 0x7f in the value of header \"X-A\"", error(status + "X-A: a\u007f\r\n\r\n"));
    assertEquals("invalid character 0x22 in header name \"X\"", error(status + "X\"A: a\r\n\r\n"));
    // obs-text is allowed in values and kept byte for byte.
    assertTrue(parse(status + "X-A: caf\u00e9\r\nContent-Length: 0\r\n\r\n").contains("[X-A: caf\u00e9]"));
  }

  @Test
  void headSizeLimit() {
    String head = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX: ";
    int padding = 100 - head.length() - 4;
    String exactly100 = head + "a".repeat(padding) + "\r\n\r\n";
    assertEquals(100, exactly100.length());
    Recorder r = new Recorder();
    r.parser = new ResponseParser(r, 100);
    r.parser.expect("GET");
    assertDoesNotFail(() -> r.parser.feed(bytes(exactly100)));
    assertTrue(r.log.toString().endsWith("end reusable=true\n"));

    Recorder over = new Recorder();
    over.parser = new ResponseParser(over, 100);
    over.parser.expect("GET");
    MalformedResponseException e = assertThrows(MalformedResponseException.class,
        () -> over.parser.feed(bytes(head + "a".repeat(padding + 1) + "\r\n\r\n")));
    assertEquals("response head over 100 bytes", e.getMessage());
    assertEquals("", over.log.toString());

    // Interim responses count against the same limit.
    Recorder interim = new Recorder();
    interim.parser = new ResponseParser(interim, 100);
    interim.parser.expect("GET");
    e = assertThrows(MalformedResponseException.class,
        () -> interim.parser.feed(bytes("HTTP/1.1 100 Continue\r\n\r\n" + exactly100)));
    assertEquals("response head over 100 bytes", e.getMessage());
  }

  @Test
  void trailerSizeLimit() {
    String head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    Recorder r = new Recorder();
    r.parser = new ResponseParser(r, 64);
    r.parser.expect("GET");
    MalformedResponseException e = assertThrows(MalformedResponseException.class,
        () -> r.parser.feed(bytes(head + "0\r\nT: " + "a".repeat(60) + "\r\n\r\n")));
    assertEquals("trailer section over 64 bytes", e.getMessage());
  }

  // ---- malformed chunked bodies ----

  @Test
  void invalidChunkFraming() {
    String head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    assertEquals("invalid chunk size: character 0x7a", error(head + "zz\r\n"));
    assertEquals("missing chunk size", error(head + "\r\n"));
    assertEquals("invalid chunk size: character 0x3b", error(head + ";ext\r\n"));
    assertEquals("invalid character 0x35 after the chunk size", error(head + "5 5\r\nhello\r\n"));
    assertEquals("chunk data not followed by CRLF", error(head + "5\r\nhelloX\r\n"));
    assertEquals("chunk data not followed by CRLF", error(head + "5\r\nhello\rX"));
    assertEquals("chunk size line not ended by CRLF", error(head + "5\rX"));
    assertEquals("chunk size too large", error(head + "10000000000000000\r\n"));
    assertEquals("invalid character 0x00 in a chunk extension", error(head + "5;a\u0000\r\n"));
    assertEquals("invalid character 0x00 in the value of header \"T\"", error(head + "0\r\nT: \u0000\r\n\r\n"));
    assertTrue(parse(head + "7fffffffffffffff\r\nabc").contains("head 200"));
  }

  // ---- truncation ----

  @Test
  void closedBeforeTheResponseStarted() {
    Recorder r = recorder();
    r.parser.expect("GET");
    assertFalse(r.parser.responseStarted());
    MalformedResponseException e = assertThrows(MalformedResponseException.class, r.parser::endOfInput);
    assertEquals("the backend closed the connection before the response started", e.getMessage());
  }

  @Test
  void truncatedAtEveryOffsetIsAnError() {
    String[] responses = {
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;x=y\r\nhello\r\n1 \r\n!\r\n0\r\nT: v\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        "HTTP/1.0 204 No Content\n\n",
    };
    for (String response : responses) {
      for (int length = 0; length < response.length(); length++) {
        Recorder r = recorder();
        r.parser.expect("GET");
        Buffer prefix = bytes(response.substring(0, length));
        assertDoesNotFail(() -> r.parser.feed(prefix));
        assertEquals(length > 0, r.parser.responseStarted());
        MalformedResponseException e = assertThrows(MalformedResponseException.class, r.parser::endOfInput,
            "truncated at " + length + ": " + r.log);
        assertTrue(e.getMessage().startsWith("the backend closed the connection before the response "), e.getMessage());
        assertFalse(r.log.toString().contains("end "), r.log.toString());
        assertFalse(r.parser.reusable());
        assertDoesNotFail(r.parser::endOfInput);
        assertThrows(IllegalStateException.class, () -> r.parser.feed(bytes("x")));
      }
    }
    assertEquals("the backend closed the connection before the response was complete (3 body bytes missing)",
        error("GET", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhe", true));
    assertEquals("the backend closed the connection before the response was complete (in its head)",
        error("GET", "HTTP/1.1 200 OK\r\nContent-Len", true));
    assertEquals("the backend closed the connection before the response was complete (in its chunked body)",
        error("GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", true));
  }

  // ---- incremental input ----

  private static final String[][] REPRESENTATIVE = {
      {"GET", "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-A: 1\r\nX-A: 2\r\n\r\nhello world"},
      {"GET", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "5;name=\"v\"\r\nhello\r\nA\r\n0123456789\r\n1\r\n!\r\n0\r\nTrailer: t\r\n\r\n"},
      {"GET", "HTTP/1.1 103 Early Hints\nLink: </s.css>\n\nHTTP/1.0 200 OK\nConnection: keep-alive\nContent-Length: 3\n\nabc"},
      {"GET", "HTTP/1.1 200 OK\r\nServer: x\r\n\r\nuntil the end"},
      {"HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"},
      {"GET", "HTTP/1.1 304 Not Modified\r\nETag: \"e\"\r\n\r\n"},
      {"GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"},
  };

  @Test
  void everySplitGivesTheSameResult() {
    for (String[] c : REPRESENTATIVE) {
      String whole = parse(c[0], c[1], true);
      assertTrue(whole.contains("end reusable="), whole);
      assertFalse(whole.contains("error"), whole);
      for (int cut = 0; cut <= c[1].length(); cut++) {
        assertEquals(whole, parse(c[0], c[1], true, cut), "cut at " + cut);
      }
      for (int first = 1; first < c[1].length(); first += 7) {
        for (int second = first; second <= c[1].length(); second += 3) {
          assertEquals(whole, parse(c[0], c[1], true, first, second), "cut at " + first + " and " + second);
        }
      }
      int[] everyByte = new int[c[1].length()];
      for (int i = 0; i < everyByte.length; i++) {
        everyByte[i] = i;
      }
      assertEquals(whole, parse(c[0], c[1], true, everyByte), "byte by byte");
    }
  }

  @Test
  void bodyPiecesAreSlicesOfTheInput() {
    Recorder r = recorder();
    r.parser.expect("GET");
    Buffer input = bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    assertDoesNotFail(() -> r.parser.feed(input));
    assertEquals(1, r.pieces.size());
    input.setByte(input.length() - 12, (byte) 'j');
    assertEquals("jello", r.pieces.get(0).toString());
  }

  // ---- one connection, many responses ----

  @Test
  void responsesBackToBack() {
    Recorder r = recorder();
    r.parser.expect("GET");
    assertDoesNotFail(() -> r.parser.feed(bytes("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none")));
    assertTrue(r.parser.reusable());
    r.parser.expect("HEAD");
    assertDoesNotFail(() -> r.parser.feed(bytes("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n")));
    r.parser.expect("POST");
    assertDoesNotFail(() -> r.parser.feed(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo")));
    assertFalse(r.parser.reusable());
    assertThrows(IllegalStateException.class, () -> r.parser.expect("GET"));
    assertDoesNotFail(() -> r.parser.feed(bytes("\r\n0\r\n\r\n")));
    assertTrue(r.parser.reusable());
    r.parser.expect("GET");
    assertDoesNotFail(() -> r.parser.feed(bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nthree")));
    assertEquals(
        "head 200 \"OK\" 1.1 length=3 chunked=false keepAlive=true [Content-Length: 3]\nbody \"one\"\nend reusable=true\n"
            + "head 200 \"OK\" 1.1 length=0 chunked=false keepAlive=true [Content-Length: 3]\nbody \"\"\nend reusable=true\n"
            + "head 200 \"OK\" 1.1 length=-1 chunked=true keepAlive=true [Transfer-Encoding: chunked]\n"
            + "body \"two\"\nend reusable=true\n"
            + "head 200 \"OK\" 1.1 length=5 chunked=false keepAlive=false [Content-Length: 5] [Connection: close]\n"
            + "body \"three\"\nend reusable=false\n",
        r.log.toString());
    assertThrows(IllegalStateException.class, () -> r.parser.expect("GET"));
  }

  @Test
  void bytesAfterTheResponseAreDiscardedAndPreventReuse() {
    // In the same read: the listener already knows at onEnd.
    assertEquals("head 200 \"OK\" 1.1 length=2 chunked=false keepAlive=true [Content-Length: 2]\n"
            + "body \"ok\"\nend reusable=false\n",
        parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    assertTrue(parse("HTTP/1.1 204 No Content\r\n\r\n\r\n").endsWith("end reusable=false\n"));

    // In a later read, before the next request.
    Recorder r = recorder();
    r.parser.expect("GET");
    assertDoesNotFail(() -> r.parser.feed(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")));
    assertTrue(r.parser.reusable());
    assertDoesNotFail(() -> r.parser.feed(bytes("HTTP/1.1 408 Request Timeout\r\n\r\n")));
    assertFalse(r.parser.reusable());
    assertThrows(IllegalStateException.class, () -> r.parser.expect("GET"));
    assertDoesNotFail(r.parser::endOfInput);
    assertFalse(r.parser.reusable());
  }

  @Test
  void aFreshParserIsReusableAndClosingItIdleIsNoError() {
    Recorder r = recorder();
    assertTrue(r.parser.reusable());
    assertDoesNotFail(r.parser::endOfInput);
    assertFalse(r.parser.reusable());
    assertThrows(IllegalStateException.class, () -> r.parser.expect("GET"));
    assertEquals("", r.log.toString());
  }

  @Test
  void expectDuringAResponseIsRefused() {
    Recorder r = recorder();
    r.parser.expect("GET");
    assertThrows(IllegalStateException.class, () -> r.parser.expect("GET"));
    assertDoesNotFail(() -> r.parser.feed(bytes("HTTP/1.1 200 OK\r\n")));
    assertThrows(IllegalStateException.class, () -> r.parser.expect("GET"));
  }

  @Test
  void aFailedParserRefusesMoreInput() {
    Recorder r = recorder();
    r.parser.expect("GET");
    assertThrows(MalformedResponseException.class, () -> r.parser.feed(bytes("nope")));
    assertThrows(IllegalStateException.class, () -> r.parser.feed(bytes("HTTP/1.1 200 OK\r\n\r\n")));
    assertDoesNotFail(r.parser::endOfInput);
    assertFalse(r.parser.reusable());
    assertTrue(r.heads.isEmpty());
  }

  @Test
  void constructorChecksItsArguments() {
    assertThrows(IllegalArgumentException.class, () -> new ResponseParser(new Recorder(), 0));
    assertThrows(NullPointerException.class, () -> new ResponseParser(null, 100));
  }

  private interface Step {
    void run() throws MalformedResponseException;
  }

  private static void assertDoesNotFail(Step step) {
    try {
      step.run();
    } catch (MalformedResponseException e) {
      throw new AssertionError("unexpected: " + e.getMessage(), e);
    }
  }
}
