package dev.vmtask.agent.guest;

/** The guest command's exit code, as reported by the guest tools. */
public record GuestResult(int exitCode) {
  public boolean success() {
    return exitCode == 0;
  }

  @Override
  public String toString() {
    return success() ? "success" : "failed (exit code " + exitCode + ")";
  }
}
