package dev.vmtask.agent.image;

import java.io.IOException;

/**
 * Carries an {@link ImageRejectedException} through the stream layers (zstd, tar) that only
 * propagate {@link IOException}; unwrapped by {@link ImageIntake}.
 */
final class Rejection extends IOException {
  Rejection(String reason) {
    super(reason);
  }

  ImageRejectedException toRejected() {
    return new ImageRejectedException(getMessage(), this);
  }

  /** The rejection or fetch failure somewhere in {@code t}'s cause chain, else {@code null}. */
  static IOException find(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof Rejection || c instanceof ImageFetchException) {
        return (IOException) c;
      }
    }
    return null;
  }
}
