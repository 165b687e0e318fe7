package dev.vmtask.agent.screenshot;

import dev.vmtask.agent.task.Reason;
import java.nio.file.Path;

/**
 * A task's wish for a PNG of the VM's display, stored as {@code <destination>/screenshot.png} right
 * before the VM is stopped.
 */
public record ScreenshotRequest(When when, Path destination) {
  /** The file name under {@link #destination}. */
  public static final String FILE_NAME = "screenshot.png";

  public ScreenshotRequest {
    if (when == null || destination == null) {
      throw new IllegalArgumentException("a screenshot needs when and destination");
    }
  }

  /** Which endings of a task get a screenshot. */
  public enum When {
    /** Every ending while the VM still runs, including a command that reported its exit code. */
    ALWAYS,
    /**
     * Endings where the command did not report an exit code while the VM still runs: {@link
     * Reason#DeadlineExceeded}, {@link Reason#GuestUnresponsive}, {@link Reason#ArtifactFailed},
     * {@link Reason#Aborted}. A non-zero exit is the command's own verdict, not a failure of the
     * run, as in the API's {@code OnFailure}.
     */
    ON_FAILURE;

    /** The task JSON's spelling: {@code Always} or {@code OnFailure}. */
    public static When parse(String s) {
      return switch (s) {
        case "Always" -> ALWAYS;
        case "OnFailure" -> ON_FAILURE;
        default ->
            throw new IllegalArgumentException(
                "screenshot.when must be Always or OnFailure, got '" + s + "'");
      };
    }
  }

  /** True when a task ending with {@code reason} gets a screenshot. */
  public boolean wanted(Reason reason) {
    return when == When.ALWAYS || (reason != Reason.Completed && reason != Reason.NonZeroExit);
  }

  public Path file() {
    return destination.resolve(FILE_NAME);
  }
}
