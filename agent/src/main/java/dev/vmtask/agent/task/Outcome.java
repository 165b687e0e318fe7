package dev.vmtask.agent.task;

import dev.vmtask.agent.guest.CollectedArtifact;
import dev.vmtask.agent.screenshot.StoredScreenshot;
import java.util.List;

/**
 * How a task ended. The process exit code is the guest's for {@link Reason#Completed} and {@link
 * Reason#NonZeroExit}, 125 for everything else. {@code screenshot} and {@code output} are null
 * unless one was stored.
 */
public record Outcome(
    Reason reason,
    int guestExitCode,
    String message,
    String acceleration,
    ImageInfo image,
    List<CollectedArtifact> artifacts,
    StoredScreenshot screenshot,
    Timings timings,
    OutputInfo output) {
  public static final int FAILURE_EXIT_CODE = 125;

  public int exitCode() {
    return reason == Reason.Completed || reason == Reason.NonZeroExit
        ? guestExitCode
        : FAILURE_EXIT_CODE;
  }

  /** What is known about the image, or null before it was fetched. */
  public record ImageInfo(String digest, long sizeBytes, long virtualSizeBytes, boolean cached) {}

  /**
   * The image archive a task's disk was packaged as; {@code guestAgent} is how the agent got into
   * that VM (CloudInit or Preinstalled), which is how it gets into VMs of the archive too.
   */
  public record OutputInfo(
      String path, long sizeBytes, String sha256, long virtualSizeBytes, String guestAgent) {}

  /** Milliseconds spent in each phase (0 for phases not reached). */
  public record Timings(long imageMs, long bootMs, long commandMs, long totalMs) {}
}
