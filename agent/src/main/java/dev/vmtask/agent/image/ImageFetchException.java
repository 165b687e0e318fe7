package dev.vmtask.agent.image;

import java.io.IOException;

/**
 * The image could not be fetched: the network failed after every retry, or the server answered with
 * a permanent error (a 4xx other than 408/429). An {@link IOException} so that it passes through
 * the decompressing and unpacking streams that read the download.
 */
public final class ImageFetchException extends IOException {
  private final boolean permanent;

  public ImageFetchException(String message, boolean permanent, Throwable cause) {
    super(message, cause);
    this.permanent = permanent;
  }

  /** True when retrying later will not help either (e.g. 404). */
  public boolean permanent() {
    return permanent;
  }
}
