package dev.vmtask.agent.guest;

/**
 * The guest command's exit code, as reported by the guest tools; {@code inputFailure} says why the
 * command did not run when an input could not be written in the guest (null otherwise).
 */
public record GuestResult(int exitCode, String inputFailure) {
  public GuestResult(int exitCode) {
    this(exitCode, null);
  }

  public boolean success() {
    return exitCode == 0;
  }

  @Override
  public String toString() {
    return success() ? "success" : "failed (exit code " + exitCode + ")";
  }
}
