package dev.vmtask.agent.vm;

import java.io.IOException;

/** A QMP command that failed, or a QMP connection that broke. */
public final class QmpException extends IOException {
  public QmpException(String message) {
    super(message);
  }

  public QmpException(String message, Throwable cause) {
    super(message, cause);
  }
}
