package io.sluice.backend;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * Reads the HTTP/1.x responses a backend sends on one connection, one after another, from the bytes as they arrive.
 *
 * <p>For each request written on the connection the caller calls {@link #expect} first, then {@link #feed}s what it
 * reads, and {@link #endOfInput} when the backend closes. The parser reports each response to its {@link Listener}:
 * one {@link Listener#onHead}, any number of {@link Listener#onBody}, one {@link Listener#onEnd}. Interim (1xx)
 * responses are read and dropped without a call. Framing follows RFC 9112 §6.3.
 *
 * <p>Threading: confined to the connection's event loop; not thread-safe. The listener is called synchronously on the
 * calling thread before {@code feed} or {@code endOfInput} returns.
 *
 * <p>Buffers: the slices passed to {@link Listener#onBody} share memory with the buffer given to {@code feed} (no
 * copies): the caller must not modify a buffer once fed. The listener may keep the slices.
 *
 * <p>Errors: a {@link MalformedResponseException} leaves the parser failed; the connection must be closed, and a later
 * {@code feed} throws {@link IllegalStateException}. A failed or closed parser ignores {@code endOfInput}.
 */
public final class ResponseParser implements ResponseDecoder {

  /** The most bytes in a response's head that Sluice reads before calling the response malformed. */
  public static final int MAX_HEAD_BYTES = 64 * 1024;

  private enum State {
    /** Between responses: bytes here are not part of any response. */
    IDLE,
    STATUS_LINE,
    HEADERS,
    FIXED_BODY,
    CHUNK_SIZE,
    /** Whitespace after the chunk size, before an extension or the line end. */
    CHUNK_SIZE_WS,
    CHUNK_EXTENSION,
    CHUNK_SIZE_LF,
    CHUNK_DATA,
    CHUNK_DATA_CR,
    CHUNK_DATA_LF,
    TRAILERS,
    CLOSE_DELIMITED_BODY,
    /** The response is complete; the current feed stops here. */
    DONE,
    CLOSED,
    FAILED
  }

  private static final byte[] VERSION_PREFIX = "HTTP/1.".getBytes(StandardCharsets.US_ASCII);
  private static final int MAX_EXCERPT = 60;

  private final Listener listener;
  private final int maxHeadBytes;

  private State state = State.IDLE;
  private boolean reusable = true;
  private boolean started;

  private byte[] line;
  private final byte[] scratch = new byte[512];
  private int lineLength;
  /** Bytes of the current head (interim ones included) or trailer section, or of the current chunk-size line. */
  private int sectionBytes;

  private boolean headRequest;
  private int status;
  private int minorVersion;
  private String reason;
  /** The final response's headers; null while reading an interim response. */
  private MultiMap headers;
  private long contentLength;
  private boolean transferEncoding;
  private boolean finalCodingChunked;
  private boolean connectionClose;
  private boolean connectionKeepAlive;
  private boolean keepAlive;

  /** Bytes left in a Content-Length body or in the current chunk; the chunk size while it is read. */
  private long remaining;
  private boolean chunkSizeSeen;

  /**
   * @param listener     receives each response
   * @param maxHeadBytes most bytes in a response's head (status line, header lines and their line ends, the interim
   *                     responses before it included), and in its trailer section
   */
  public ResponseParser(Listener listener, int maxHeadBytes) {
    if (listener == null) {
      throw new NullPointerException("listener");
    }
    if (maxHeadBytes < 1) {
      throw new IllegalArgumentException("maxHeadBytes: " + maxHeadBytes + " (expected: > 0)");
    }
    this.listener = listener;
    this.maxHeadBytes = maxHeadBytes;
    this.line = new byte[Math.min(maxHeadBytes, 256)];
  }

  /**
   * Announces the response to the request about to be written.
   *
   * @param requestMethod the request's method; the response to {@code HEAD} has no body
   * @throws IllegalStateException when a response is still being read, or the connection cannot carry another one
   */
  @Override
  public void expect(String requestMethod) {
    if (state != State.IDLE) {
      throw new IllegalStateException("expect(): a response is being read or the connection is closed (" + state + ")");
    }
    if (!reusable) {
      throw new IllegalStateException("expect(): the connection cannot carry another response");
    }
    headRequest = "HEAD".equals(requestMethod);
    startHead();
    sectionBytes = 0;
    started = false;
    state = State.STATUS_LINE;
  }

  /**
   * Parses the next bytes read from the backend, calling the listener for what they complete.
   *
   * <p>Bytes that arrive when no response is expected, or after the end of the current one, are discarded and make the
   * connection not {@link #reusable()}: the backend said more than it was asked.
   *
   * @throws MalformedResponseException when the bytes are not a valid response
   * @throws IllegalStateException      after a failure or {@link #endOfInput}
   */
  @Override
  public void feed(Buffer data) throws MalformedResponseException {
    if (state == State.CLOSED || state == State.FAILED) {
      throw new IllegalStateException("feed(): the parser is " + (state == State.CLOSED ? "closed" : "failed"));
    }
    int end = data.length();
    int pos = 0;
    while (pos < end) {
      switch (state) {
        case IDLE:
          reusable = false;
          return;
        case STATUS_LINE:
          started = true;
          pos = head(data, pos, end);
          break;
        case HEADERS:
        case TRAILERS:
          pos = head(data, pos, end);
          break;
        case FIXED_BODY:
        case CHUNK_DATA:
          pos = body(data, pos, end);
          break;
        case CLOSE_DELIMITED_BODY:
          listener.onBody(slice(data, pos, end));
          pos = end;
          break;
        default:
          pos = chunkFraming(data, pos, end);
          break;
      }
      if (state == State.DONE) {
        finish(pos < end);
        return;
      }
    }
  }

  /**
   * The backend closed the connection: ends a body delimited by the close.
   *
   * @throws MalformedResponseException when a response was under way and is incomplete
   */
  @Override
  public void endOfInput() throws MalformedResponseException {
    switch (state) {
      case CLOSED:
      case FAILED:
        return;
      case IDLE:
        state = State.CLOSED;
        reusable = false;
        return;
      case CLOSE_DELIMITED_BODY:
        state = State.CLOSED;
        reusable = false;
        listener.onEnd();
        return;
      default:
        String where;
        if (!started) {
          where = "before the response started";
        } else if (state == State.STATUS_LINE || state == State.HEADERS) {
          where = "before the response was complete (in its head)";
        } else if (state == State.FIXED_BODY) {
          where = "before the response was complete (" + remaining + " body bytes missing)";
        } else {
          where = "before the response was complete (in its chunked body)";
        }
        reusable = false;
        throw fail("the backend closed the connection " + where);
    }
  }

  /**
   * Whether the connection may carry another request: the last response allowed keep-alive, was not delimited by the
   * close, and nothing followed it. Meaningful from {@link Listener#onEnd}; bytes arriving later before the next
   * {@link #expect} turn it false.
   */
  @Override
  public boolean reusable() {
    return reusable && state == State.IDLE;
  }

  /** Whether any byte of the expected response has arrived (a request on a reused connection may be retried if not). */
  public boolean responseStarted() {
    return started;
  }

  private void startHead() {
    lineLength = 0;
    status = 0;
    reason = null;
    headers = null;
    contentLength = -1;
    transferEncoding = false;
    finalCodingChunked = false;
    connectionClose = false;
    connectionKeepAlive = false;
  }

  private void finish(boolean leftover) {
    state = State.IDLE;
    // Before onEnd, so the listener sees the final answer for what this feed held.
    reusable = keepAlive && !leftover;
    listener.onEnd();
  }

  // ---- head and trailers: line by line, through the line buffer ----

  private int head(Buffer data, int pos, int end) throws MalformedResponseException {
    while (pos < end) {
      // Copied in bounded slices and scanned as a plain array: far cheaper than a Buffer.getByte call per byte, and
      // never copies much of a body that follows the head in the same read.
      int n = Math.min(scratch.length, end - pos);
      data.getBytes(pos, pos + n, scratch, 0);
      for (int i = 0; i < n; i++) {
        byte b = scratch[i];
        if (++sectionBytes > maxHeadBytes) {
          throw fail((state == State.TRAILERS ? "trailer section" : "response head") + " over " + maxHeadBytes
              + " bytes");
        }
        if (b == '\n') {
          int length = lineLength;
          if (length > 0 && line[length - 1] == '\r') {
            length--;
          }
          lineLength = 0;
          line(length);
          if (state != State.STATUS_LINE && state != State.HEADERS && state != State.TRAILERS) {
            return pos + i + 1;
          }
        } else {
          // Fail fast on bytes that cannot start a response instead of buffering a whole head of them.
          if (state == State.STATUS_LINE && lineLength < VERSION_PREFIX.length && b != VERSION_PREFIX[lineLength]) {
            append(b);
            throw fail("not an HTTP/1.x response: \"" + excerpt(lineLength) + "\"");
          }
          append(b);
        }
      }
      pos += n;
    }
    return pos;
  }

  private void append(byte b) {
    if (lineLength == line.length) {
      byte[] bigger = new byte[Math.min(line.length * 2, maxHeadBytes)];
      System.arraycopy(line, 0, bigger, 0, lineLength);
      line = bigger;
    }
    line[lineLength++] = b;
  }

  private void line(int length) throws MalformedResponseException {
    switch (state) {
      case STATUS_LINE:
        statusLine(length);
        state = State.HEADERS;
        break;
      case HEADERS:
        if (length > 0) {
          headerLine(length, headers != null);
        } else if (status < 200) {
          // Interim responses count against the same head limit, so endless 1xx cannot go unnoticed.
          startHead();
          state = State.STATUS_LINE;
        } else {
          endOfHead();
        }
        break;
      default: // TRAILERS
        if (length > 0) {
          headerLine(length, false);
        } else {
          state = State.DONE;
        }
        break;
    }
  }

  private void statusLine(int length) throws MalformedResponseException {
    // HTTP-version SP 3DIGIT SP [reason-phrase]; the "HTTP/1." prefix was checked as it arrived.
    boolean valid = length >= 12
        && isDigit(line[7])
        && line[8] == ' '
        && line[9] >= '1' && line[9] <= '9' && isDigit(line[10]) && isDigit(line[11])
        && (length == 12 || line[12] == ' ');
    for (int i = 13; valid && i < length; i++) {
      valid = isFieldChar(line[i]);
    }
    if (!valid) {
      throw fail("invalid status line: \"" + excerpt(length) + "\"");
    }
    // RFC 9110 §2.5: a higher 1.x minor version is answered as the highest one we know, 1.1.
    minorVersion = line[7] == '0' ? 0 : 1;
    status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    if (status == 101) {
      throw fail("101 Switching Protocols, but no upgrade was requested");
    }
    if (status >= 200) {
      reason = length > 13 ? new String(line, 13, length - 13, StandardCharsets.ISO_8859_1) : "";
      // Every name and value was checked byte by byte above: no need for the map to check them again.
      headers = MultiMap.caseInsensitiveMultiMap();
    }
  }

  private void headerLine(int length, boolean keep) throws MalformedResponseException {
    if (line[0] == ' ' || line[0] == '\t') {
      throw fail("a header line starts with whitespace (obsolete line folding)");
    }
    int colon = 0;
    while (colon < length && HttpChars.isToken(line[colon] & 0xff)) {
      colon++;
    }
    if (colon == length || line[colon] != ':') {
      String name = new String(line, 0, colon, StandardCharsets.ISO_8859_1);
      throw fail(colon == length
          ? "header line without a colon: \"" + excerpt(Math.min(length, 20)) + "\""
          : "invalid character " + hex(line[colon]) + " in header name \"" + name + "\"");
    }
    if (colon == 0) {
      throw fail("empty header name");
    }
    int start = colon + 1;
    int stop = length;
    while (start < stop && (line[start] == ' ' || line[start] == '\t')) {
      start++;
    }
    while (stop > start && (line[stop - 1] == ' ' || line[stop - 1] == '\t')) {
      stop--;
    }
    for (int i = start; i < stop; i++) {
      if (!isFieldChar(line[i])) {
        throw fail("invalid character " + hex(line[i]) + " in the value of header \""
            + new String(line, 0, colon, StandardCharsets.ISO_8859_1) + "\"");
      }
    }
    if (!keep) {
      return;
    }
    String name = new String(line, 0, colon, StandardCharsets.ISO_8859_1);
    String value = new String(line, start, stop - start, StandardCharsets.ISO_8859_1);
    headers.add(name, value);
    if (name.equalsIgnoreCase("Content-Length")) {
      contentLength(value);
    } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
      transferEncoding(value);
    } else if (name.equalsIgnoreCase("Connection")) {
      connection(value);
    }
  }

  /** RFC 9110 §8.6: a list of identical values is accepted as one; anything else is an error. */
  private void contentLength(String value) throws MalformedResponseException {
    int i = 0;
    int n = value.length();
    while (true) {
      i = skipWhitespace(value, i);
      long v = 0;
      int digitsStart = i;
      while (i < n && isDigit(value.charAt(i))) {
        int d = value.charAt(i) - '0';
        if (v > (Long.MAX_VALUE - d) / 10) {
          throw fail("Content-Length too large: \"" + value + "\"");
        }
        v = v * 10 + d;
        i++;
      }
      if (i == digitsStart) {
        throw fail("invalid Content-Length: \"" + value + "\"");
      }
      if (contentLength >= 0 && contentLength != v) {
        throw fail("conflicting Content-Length values: " + contentLength + " and " + v);
      }
      contentLength = v;
      i = skipWhitespace(value, i);
      if (i == n) {
        return;
      }
      if (value.charAt(i++) != ',') {
        throw fail("invalid Content-Length: \"" + value + "\"");
      }
    }
  }

  /** Only the final coding matters for framing (RFC 9112 §6.3); a later field's list continues an earlier one's. */
  private void transferEncoding(String value) {
    transferEncoding = true;
    int end = value.length();
    while (end > 0) {
      int comma = value.lastIndexOf(',', end - 1);
      int from = skipWhitespace(value, comma + 1);
      int to = end;
      while (to > from && isWhitespace(value.charAt(to - 1))) {
        to--;
      }
      if (to > from) {
        finalCodingChunked = to - from == 7 && value.regionMatches(true, from, "chunked", 0, 7);
        return;
      }
      end = comma < 0 ? 0 : comma;
    }
  }

  private void connection(String value) {
    int i = 0;
    int n = value.length();
    while (i < n) {
      int from = skipWhitespace(value, i);
      int comma = value.indexOf(',', from);
      int to = comma < 0 ? n : comma;
      int stop = to;
      while (stop > from && isWhitespace(value.charAt(stop - 1))) {
        stop--;
      }
      if (stop - from == 5 && value.regionMatches(true, from, "close", 0, 5)) {
        connectionClose = true;
      } else if (stop - from == 10 && value.regionMatches(true, from, "keep-alive", 0, 10)) {
        connectionKeepAlive = true;
      }
      i = to + 1;
    }
  }

  private void endOfHead() throws MalformedResponseException {
    boolean bodyless = headRequest || status == 204 || status == 304;
    keepAlive = minorVersion == 1 ? !connectionClose : connectionKeepAlive && !connectionClose;
    long length;
    boolean chunked = false;
    if (bodyless) {
      length = 0;
    } else if (transferEncoding) {
      if (minorVersion == 0) {
        // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means the framing cannot be trusted.
        throw fail("Transfer-Encoding in an HTTP/1.0 response");
      }
      chunked = finalCodingChunked;
      length = -1;
      // RFC 9112 §6.1: with both, Transfer-Encoding wins, but the sender is suspect: do not reuse the connection.
      keepAlive &= chunked && contentLength < 0;
    } else if (contentLength >= 0) {
      length = contentLength;
    } else {
      length = -1;
      keepAlive = false;
    }
    if (transferEncoding && minorVersion == 0) {
      keepAlive = false;
    }
    if (length == 0) {
      state = State.DONE;
    } else if (chunked) {
      startChunkSize();
    } else if (length > 0) {
      remaining = length;
      state = State.FIXED_BODY;
    } else {
      state = State.CLOSE_DELIMITED_BODY;
    }
    listener.onHead(new ResponseHead(status, reason, minorVersion, headers, length, chunked, keepAlive));
  }

  // ---- bodies ----

  private int body(Buffer data, int pos, int end) {
    int n = (int) Math.min(remaining, end - pos);
    remaining -= n;
    if (remaining == 0) {
      state = state == State.FIXED_BODY ? State.DONE : State.CHUNK_DATA_CR;
    }
    listener.onBody(slice(data, pos, pos + n));
    return pos + n;
  }

  private void startChunkSize() {
    state = State.CHUNK_SIZE;
    remaining = 0;
    chunkSizeSeen = false;
    sectionBytes = 0;
  }

  private int chunkFraming(Buffer data, int pos, int end) throws MalformedResponseException {
    while (pos < end) {
      byte b = data.getByte(pos++);
      switch (state) {
        case CHUNK_SIZE:
        case CHUNK_SIZE_WS:
        case CHUNK_EXTENSION:
          // Extensions are skipped, not stored; the bound keeps a backend from streaming one forever.
          if (++sectionBytes > maxHeadBytes) {
            throw fail("chunk size line over " + maxHeadBytes + " bytes");
          }
          chunkSizeLine(b);
          break;
        case CHUNK_SIZE_LF:
          expectLf(b, "chunk size line not ended by CRLF");
          endOfChunkSize();
          break;
        case CHUNK_DATA_CR:
          if (b == '\r') {
            state = State.CHUNK_DATA_LF;
          } else if (b == '\n') {
            startChunkSize();
          } else {
            throw fail("chunk data not followed by CRLF");
          }
          break;
        case CHUNK_DATA_LF:
          expectLf(b, "chunk data not followed by CRLF");
          startChunkSize();
          break;
        default:
          throw new AssertionError(state);
      }
      if (state == State.CHUNK_DATA || state == State.TRAILERS) {
        return pos;
      }
    }
    return pos;
  }

  /** The LF of a CRLF, after its CR. */
  private void expectLf(byte b, String otherwise) throws MalformedResponseException {
    if (b != '\n') {
      throw fail(otherwise);
    }
  }

  private void chunkSizeLine(byte b) throws MalformedResponseException {
    if (b == '\r' || b == '\n') {
      if (!chunkSizeSeen) {
        throw fail("missing chunk size");
      }
      if (b == '\r') {
        state = State.CHUNK_SIZE_LF;
      } else {
        endOfChunkSize();
      }
      return;
    }
    switch (state) {
      case CHUNK_SIZE:
        int digit = HttpChars.hexDigit(b);
        if (digit >= 0) {
          if ((remaining >>> 59) != 0) {
            throw fail("chunk size too large");
          }
          remaining = remaining << 4 | digit;
          chunkSizeSeen = true;
          return;
        }
        if (!chunkSizeSeen) {
          throw fail("invalid chunk size: character " + hex(b));
        }
        state = State.CHUNK_SIZE_WS;
        chunkSizeLine(b);
        return;
      case CHUNK_SIZE_WS:
        if (b == ';') {
          state = State.CHUNK_EXTENSION;
        } else if (b != ' ' && b != '\t') {
          throw fail("invalid character " + hex(b) + " after the chunk size");
        }
        return;
      default: // CHUNK_EXTENSION
        if (!isFieldChar(b)) {
          throw fail("invalid character " + hex(b) + " in a chunk extension");
        }
    }
  }

  private void endOfChunkSize() {
    if (remaining == 0) {
      state = State.TRAILERS;
      sectionBytes = 0;
      lineLength = 0;
    } else {
      state = State.CHUNK_DATA;
    }
  }

  // ---- helpers ----

  private MalformedResponseException fail(String message) {
    state = State.FAILED;
    reusable = false;
    return new MalformedResponseException(message);
  }

  private static Buffer slice(Buffer data, int from, int to) {
    return from == 0 && to == data.length() ? data : data.slice(from, to);
  }

  private String excerpt(int length) {
    StringBuilder s = new StringBuilder();
    int n = Math.min(length, MAX_EXCERPT);
    for (int i = 0; i < n; i++) {
      int c = line[i] & 0xff;
      if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
        s.append((char) c);
      } else {
        s.append(String.format("\\x%02x", c));
      }
    }
    if (length > n) {
      s.append("...");
    }
    return s.toString();
  }

  private static String hex(byte b) {
    return String.format("0x%02x", b & 0xff);
  }

  private static boolean isDigit(int c) {
    return c >= '0' && c <= '9';
  }

  /** RFC 9110 §5.5 field-vchar, SP and HTAB: everything but the other controls and DEL. */
  private static boolean isFieldChar(byte b) {
    int c = b & 0xff;
    return c >= 0x20 ? c != 0x7f : c == '\t';
  }

  private static boolean isWhitespace(char c) {
    return c == ' ' || c == '\t';
  }

  private static int skipWhitespace(String s, int i) {
    while (i < s.length() && isWhitespace(s.charAt(i))) {
      i++;
    }
    return i;
  }
}
