package dev.vmtask.operator.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtask.api.task.RetryPolicy;
import dev.vmtask.api.task.TaskReason;
import dev.vmtask.api.task.VirtualMachineTaskSpec;
import dev.vmtask.operator.Fixtures;
import dev.vmtask.operator.pod.PodObservation;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetryBackoffTest {
  @Test
  void doublesFromTenSecondsAndCapsAtFiveMinutes() {
    assertThat(RetryBackoff.after(1)).isEqualTo(Duration.ofSeconds(10));
    assertThat(RetryBackoff.after(2)).isEqualTo(Duration.ofSeconds(20));
    assertThat(RetryBackoff.after(3)).isEqualTo(Duration.ofSeconds(40));
    assertThat(RetryBackoff.after(5)).isEqualTo(Duration.ofSeconds(160));
    assertThat(RetryBackoff.after(6)).isEqualTo(Duration.ofMinutes(5));
    assertThat(RetryBackoff.after(10)).isEqualTo(Duration.ofMinutes(5));
    assertThat(RetryBackoff.after(1000)).isEqualTo(Duration.ofMinutes(5));
    var failed = outcome(TaskReason.NodeLost, 125);
    assertThat(RetryBackoff.nextAttempt(failed, 2, Instant.EPOCH))
        .isEqualTo(Instant.parse("2026-01-01T00:00:20Z"));
  }

  @Test
  void byDefaultOnlyTheInfrastructuresFailuresAreRetried() {
    VirtualMachineTaskSpec spec = spec(2, null);
    assertThat(RetryBackoff.retries(spec, outcome(TaskReason.NodeLost, 125), 1)).isTrue();
    assertThat(RetryBackoff.retries(spec, outcome(TaskReason.QemuCrashed, 125), 2)).isTrue();
    assertThat(RetryBackoff.retries(spec, outcome(TaskReason.QemuCrashed, 125), 3))
        .as("past backoffLimit")
        .isFalse();
    assertThat(RetryBackoff.retries(spec, outcome(TaskReason.NonZeroExit, 1), 1)).isFalse();
    assertThat(RetryBackoff.retries(spec, outcome(TaskReason.DeadlineExceeded, 125), 1)).isFalse();
    assertThat(RetryBackoff.retries(spec, outcome(TaskReason.ImageFailed, 125), 1)).isFalse();
  }

  @Test
  void aPolicyChoosesReasonsAndExitCodes() {
    RetryPolicy flakyTests = new RetryPolicy();
    flakyTests.setExitCodes(List.of(75));
    VirtualMachineTaskSpec spec = spec(1, flakyTests);
    assertThat(RetryBackoff.retries(spec, outcome(TaskReason.NonZeroExit, 75), 1)).isTrue();
    assertThat(RetryBackoff.retries(spec, outcome(TaskReason.NonZeroExit, 1), 1)).isFalse();
    assertThat(RetryBackoff.retries(spec, outcome(TaskReason.NodeLost, 125), 1))
        .as("exit codes add to the default reasons")
        .isTrue();

    RetryPolicy everything = new RetryPolicy();
    everything.setReasons(List.of(TaskReason.NonZeroExit, TaskReason.ImageFailed));
    spec = spec(1, everything);
    assertThat(RetryBackoff.retries(spec, outcome(TaskReason.NonZeroExit, 1), 1)).isTrue();
    assertThat(RetryBackoff.retries(spec, outcome(TaskReason.NodeLost, 125), 1))
        .as("a list replaces the default")
        .isFalse();
    assertThat(RetryBackoff.retries(spec, outcome(TaskReason.ImageFailed, 125), 1))
        .as("never retryable, whatever the list says")
        .isFalse();
  }

  private static VirtualMachineTaskSpec spec(int backoffLimit, RetryPolicy policy) {
    VirtualMachineTaskSpec spec = Fixtures.task("ns", "t", "i").getSpec();
    spec.setBackoffLimit(backoffLimit);
    spec.setRetryPolicy(policy);
    return spec;
  }

  private static PodObservation.Outcome outcome(TaskReason reason, int exit) {
    return new PodObservation.Outcome(exit, reason, "m", null, "2026-01-01T00:00:00Z");
  }
}
