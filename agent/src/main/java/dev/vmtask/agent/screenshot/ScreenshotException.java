package dev.vmtask.agent.screenshot;

/** No screenshot could be taken or stored; the message says why, for the task's outcome. */
public final class ScreenshotException extends Exception {
  public ScreenshotException(String message) {
    super(message);
  }

  public ScreenshotException(String message, Throwable cause) {
    super(message, cause);
  }
}
