package io.sluice.testing;

import io.sluice.backend.BackendException;
import io.sluice.backend.ClientSide;
import io.sluice.backend.ResponseHead;
import io.sluice.queue.Rejection;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;

/** A client side that writes down what the call tells it, one line per event. */
public final class RecordingClient implements ClientSide {

  public final List<String> events = new ArrayList<>();

  @Override
  public void refused(int status, String message, boolean close) {
    events.add("refused " + status + (close ? " close" : ""));
  }

  @Override
  public void rejected(Rejection why, int retryAfterSeconds) {
    events.add("rejected " + why);
  }

  @Override
  public void head(ResponseHead head) {
    events.add("head " + head.status());
  }

  @Override
  public void body(Buffer data) {
    events.add("body " + data);
  }

  @Override
  public void readComplete() {
    events.add("readComplete");
  }

  @Override
  public void end() {
    events.add("end");
  }

  @Override
  public void failed(BackendException failure) {
    events.add("failed " + failure.kind());
  }

  @Override
  public void cancelled() {
    events.add("cancelled");
  }
}
