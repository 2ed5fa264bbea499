package io.sluice.server;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.SocketAddress;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;

/**
 * A client as an {@link Exchange} sees it: Vert.x's request and response interfaces, played by the test without a
 * socket. What the exchange writes is kept in {@link #written}, one entry per call; everything else the exchange may
 * do to a client is recorded in fields. Only the methods an exchange uses are played; any other throws.
 */
final class FakeClient {

  HttpMethod method = HttpMethod.GET;
  String uri = "/x";
  HttpVersion version = HttpVersion.HTTP_1_1;
  final MultiMap requestHeaders = MultiMap.caseInsensitiveMultiMap().add("Host", "example.com");
  private Handler<Buffer> bodyHandler;
  private Handler<Void> endHandler;
  boolean paused;

  int status = 200;
  final MultiMap responseHeaders = MultiMap.caseInsensitiveMultiMap();
  boolean chunked;
  /** {@code write <text>}, {@code end <text>} or {@code end}, in order. */
  final List<String> written = new ArrayList<>();
  boolean writeQueueFull;
  private Handler<Void> drainHandler;
  private Handler<Void> closeHandler;
  private Handler<Void> connectionCloseHandler;
  private Handler<Void> headersEndHandler;
  boolean connectionClosed;
  boolean continued;

  final HttpServerResponse response = fake(HttpServerResponse.class, this::response);
  final HttpServerRequest request = fake(HttpServerRequest.class, this::request);
  /** Closing it only records the close: a test plays the close's consequences with {@link #leave}. */
  @SuppressWarnings("unchecked")
  final HttpConnection connection = fake(HttpConnection.class, (m, args) -> {
    if (m.getName().equals("close")) {
      connectionClosed = true;
      return Future.succeededFuture();
    }
    if (m.getName().equals("closeHandler")) {
      connectionCloseHandler = (Handler<Void>) args[0];
      return null;
    }
    if (m.getName().equals("exceptionHandler")) {
      return null;
    }
    throw new UnsupportedOperationException(m.toString());
  });

  /** A piece of the request body arrives. */
  void sendBody(String text) {
    bodyHandler.handle(Buffer.buffer(text));
  }

  /** The request body is complete. */
  void endBody() {
    endHandler.handle(null);
  }

  /** The client's connection closes. */
  void leave() {
    connectionClosed = true;
    closeHandler.handle(null);
    if (connectionCloseHandler != null) {
      connectionCloseHandler.handle(null);
    }
  }

  /** The client reads what was waiting for it. */
  void catchUp() {
    writeQueueFull = false;
    Handler<Void> h = drainHandler;
    drainHandler = null;
    if (h != null) {
      h.handle(null);
    }
  }

  boolean ended() {
    return !written.isEmpty() && written.get(written.size() - 1).startsWith("end");
  }

  @SuppressWarnings("unchecked")
  private Object request(Method m, Object[] args) {
    switch (m.getName()) {
      case "response":
        return response;
      case "connection":
        return connection;
      case "headers":
        return requestHeaders;
      case "getHeader":
        return requestHeaders.get(args[0].toString());
      case "method":
        return method;
      case "uri":
        return uri;
      case "version":
        return version;
      case "isSSL":
        return false;
      case "remoteAddress":
        return SocketAddress.inetSocketAddress(40000, "10.0.0.1");
      case "localAddress":
        return SocketAddress.inetSocketAddress(8080, "10.0.0.2");
      case "handler":
        bodyHandler = (Handler<Buffer>) args[0];
        return request;
      case "endHandler":
        endHandler = (Handler<Void>) args[0];
        return request;
      case "pause":
        paused = true;
        return request;
      case "resume":
        paused = false;
        return request;
      default:
        throw new UnsupportedOperationException(m.toString());
    }
  }

  @SuppressWarnings("unchecked")
  private Object response(Method m, Object[] args) {
    switch (m.getName()) {
      case "closeHandler":
        closeHandler = (Handler<Void>) args[0];
        return response;
      case "drainHandler":
        drainHandler = (Handler<Void>) args[0];
        return response;
      case "writeContinue":
        continued = true;
        return Future.succeededFuture();
      case "setStatusCode":
        status = (Integer) args[0];
        return response;
      case "setStatusMessage":
        return response;
      case "setChunked":
        chunked = (Boolean) args[0];
        return response;
      case "headers":
        return responseHeaders;
      case "putHeader":
        responseHeaders.set(args[0].toString(), args[1].toString());
        return response;
      case "headersEndHandler":
        headersEndHandler = (Handler<Void>) args[0];
        return response;
      case "writeQueueFull":
        return writeQueueFull;
      case "write":
        headWritten();
        written.add("write " + args[0]);
        return Future.succeededFuture();
      case "end":
        headWritten();
        written.add(args == null ? "end" : "end " + args[0]);
        return Future.succeededFuture();
      case "ended":
        return ended();
      case "closed":
        return connectionClosed;
      case "headWritten":
        return !written.isEmpty();
      default:
        throw new UnsupportedOperationException(m.toString());
    }
  }

  /** As Vert.x does, once, just before the head goes out. */
  private void headWritten() {
    if (written.isEmpty() && headersEndHandler != null) {
      headersEndHandler.handle(null);
    }
  }

  /** What a test needs of an interface, as a handler of its calls. */
  private interface Calls {
    Object call(Method m, Object[] args) throws Throwable;
  }

  private static <T> T fake(Class<T> type, Calls calls) {
    InvocationHandler handler = (proxy, m, args) -> {
      if (m.getDeclaringClass() == Object.class) {
        return m.getName().equals("equals") ? proxy == args[0] : m.getName().equals("hashCode")
            ? System.identityHashCode(proxy) : type.getSimpleName();
      }
      return calls.call(m, args);
    };
    return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler));
  }
}
