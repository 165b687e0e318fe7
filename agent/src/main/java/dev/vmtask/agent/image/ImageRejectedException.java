package dev.vmtask.agent.image;

/**
 * The image's content is not acceptable: wrong digest, hostile or malformed archive, bad qcow2
 * header, invalid machine.json. Retrying the same bytes cannot help; the message says why.
 */
public final class ImageRejectedException extends Exception {
  public ImageRejectedException(String reason) {
    super(reason);
  }

  public ImageRejectedException(String reason, Throwable cause) {
    super(reason, cause);
  }
}
