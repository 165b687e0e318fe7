package dev.vmtask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.TaskReason;
import dev.vmtask.api.task.VirtualMachineTaskStatus;
import org.junit.jupiter.api.Test;

class TaskOutcomeTest {
  private static VirtualMachineTaskStatus status(
      TaskPhase phase, TaskReason reason, Integer exitCode, String message) {
    VirtualMachineTaskStatus s = new VirtualMachineTaskStatus();
    s.setPhase(phase);
    s.setReason(reason);
    s.setExitCode(exitCode);
    s.setMessage(message);
    return s;
  }

  @Test
  void succeededWithItsExitCode() {
    TaskOutcome o =
        TaskOutcome.of(
            "t1",
            status(TaskPhase.Succeeded, TaskReason.Completed, 0, "the guest command exited 0"));
    assertThat(o.exitCode()).isZero();
    assertThat(o.line())
        .isEqualTo("t1 Succeeded (Completed, exit code 0): the guest command exited 0");
  }

  @Test
  void succeededWithoutExitCodeIsZero() {
    TaskOutcome o = TaskOutcome.of("t1", status(TaskPhase.Succeeded, null, null, null));
    assertThat(o.exitCode()).isZero();
    assertThat(o.line()).isEqualTo("t1 Succeeded");
  }

  @Test
  void theGuestsExitCodePassesThrough() {
    TaskOutcome o =
        TaskOutcome.of(
            "build", status(TaskPhase.Failed, TaskReason.NonZeroExit, 3, "exited with 3"));
    assertThat(o.exitCode()).isEqualTo(3);
    assertThat(o.line()).isEqualTo("build Failed (NonZeroExit, exit code 3): exited with 3");
  }

  @Test
  void failedWithoutExitCodeIsOne() {
    TaskOutcome o =
        TaskOutcome.of(
            "t2", status(TaskPhase.Failed, TaskReason.ImageFailed, null, "sha256 mismatch"));
    assertThat(o.exitCode()).isEqualTo(1);
    assertThat(o.line()).isEqualTo("t2 Failed (ImageFailed): sha256 mismatch");
  }

  @Test
  void anOperatorFailureKeepsItsCode() {
    TaskOutcome o =
        TaskOutcome.of("t3", status(TaskPhase.Failed, TaskReason.QemuCrashed, 125, "QEMU died"));
    assertThat(o.exitCode()).isEqualTo(125);
  }
}
