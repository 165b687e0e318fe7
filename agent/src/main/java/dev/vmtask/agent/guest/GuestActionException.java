package dev.vmtask.agent.guest;

import java.io.IOException;

/** An action the guest did not take, did not answer, or answered with something unusable. */
public final class GuestActionException extends IOException {
  public GuestActionException(String message) {
    super(message);
  }

  public GuestActionException(String message, Throwable cause) {
    super(message, cause);
  }
}
