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
    /** Every ending while the VM still runs, including a command that exited 0. */
    ALWAYS,
    /**
     * Every ending but {@link Reason#Completed} while the VM still runs: the task's phase is then
     * Failed (a non-zero exit included: a failed GUI test is what the screen shows best).
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
    return when == When.ALWAYS || reason != Reason.Completed;
  }

  public Path file() {
    return destination.resolve(FILE_NAME);
  }
}
