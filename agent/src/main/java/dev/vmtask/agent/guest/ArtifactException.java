package dev.vmtask.agent.guest;

/** An artifact that could not be copied (missing, too large, unsafe name, guest not answering). */
public final class ArtifactException extends Exception {
  public ArtifactException(String message) {
    super(message);
  }

  public ArtifactException(String message, Throwable cause) {
    super(message, cause);
  }
}
