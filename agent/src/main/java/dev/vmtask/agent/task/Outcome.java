package dev.vmtask.agent.task;

import dev.vmtask.agent.guest.CollectedArtifact;
import dev.vmtask.agent.screenshot.StoredScreenshot;
import java.util.List;

/**
 * How a task ended. The process exit code is the guest's for {@link Reason#Completed} and {@link
 * Reason#NonZeroExit}, 125 for everything else. {@code screenshot} is null unless one was stored.
 */
public record Outcome(
    Reason reason,
    int guestExitCode,
    String message,
    String acceleration,
    ImageInfo image,
    List<CollectedArtifact> artifacts,
    StoredScreenshot screenshot,
    Timings timings) {
  public static final int FAILURE_EXIT_CODE = 125;

  public int exitCode() {
    return reason == Reason.Completed || reason == Reason.NonZeroExit
        ? guestExitCode
        : FAILURE_EXIT_CODE;
  }

  /** What is known about the image, or null before it was fetched. */
  public record ImageInfo(String digest, long sizeBytes, long virtualSizeBytes, boolean cached) {}

  /** Milliseconds spent in each phase (0 for phases not reached). */
  public record Timings(long imageMs, long bootMs, long commandMs, long totalMs) {}
}
