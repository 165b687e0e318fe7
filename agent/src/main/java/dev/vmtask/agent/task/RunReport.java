package dev.vmtask.agent.task;

import dev.vmtask.agent.guest.CollectedArtifact;
import dev.vmtask.agent.screenshot.StoredScreenshot;
import java.util.List;

/**
 * What a run has learned so far (phase times, acceleration, image); becomes its {@link Outcome}.
 */
final class RunReport {
  private final long start = System.nanoTime();
  private long imageDone;
  private long bootStart;
  private long commandStart;
  private long commandEnd;
  private String acceleration;
  private Outcome.ImageInfo image;
  private List<CollectedArtifact> artifacts = List.of();
  private StoredScreenshot screenshot;
  private Outcome.OutputInfo output;
  private String note;

  void imageReady(Outcome.ImageInfo info) {
    image = info;
    imageDone = System.nanoTime();
  }

  void acceleration(String accel) {
    acceleration = accel;
  }

  void bootStarted() {
    bootStart = System.nanoTime();
  }

  void commandStarted() {
    commandStart = System.nanoTime();
  }

  void commandEnded() {
    commandEnd = System.nanoTime();
  }

  void artifacts(List<CollectedArtifact> collected) {
    artifacts = List.copyOf(collected);
  }

  void screenshot(StoredScreenshot stored) {
    screenshot = stored;
  }

  void output(Outcome.OutputInfo packaged) {
    output = packaged;
  }

  /**
   * Something every ending's message must say (e.g. that KVM failed and TCG took over). It goes
   * first: a long message is cut at its end.
   */
  void note(String text) {
    note = text;
  }

  Outcome outcome(Reason reason, int guestExitCode, String message) {
    long now = System.nanoTime();
    long commandEndOrNow = commandEnd != 0 ? commandEnd : now;
    Outcome.Timings t =
        new Outcome.Timings(
            ms(start, imageDone),
            ms(bootStart, commandStart != 0 ? commandStart : (bootStart != 0 ? now : 0)),
            ms(commandStart, commandStart != 0 ? commandEndOrNow : 0),
            ms(start, now));
    return new Outcome(
        reason,
        guestExitCode,
        note == null ? message : note + "; " + message,
        acceleration,
        image,
        artifacts,
        screenshot,
        t,
        output);
  }

  /**
   * {@code earlier} with {@code more} added to its message and the times and output as they are
   * now: for work done after the VM stopped (packaging its disk).
   */
  Outcome extend(Outcome earlier, String more) {
    Outcome now = outcome(earlier.reason(), earlier.guestExitCode(), "");
    return new Outcome(
        now.reason(),
        now.guestExitCode(),
        earlier.message() + more,
        now.acceleration(),
        now.image(),
        now.artifacts(),
        now.screenshot(),
        now.timings(),
        now.output());
  }

  private static long ms(long from, long to) {
    return from == 0 || to == 0 ? 0 : Math.max(0, (to - from) / 1_000_000);
  }
}
