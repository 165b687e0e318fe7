package dev.vmtask.operator.task;

import dev.vmtask.api.task.RetryPolicy;
import dev.vmtask.api.task.VirtualMachineTaskSpec;
import dev.vmtask.operator.pod.PodObservation;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Whether a failed attempt is retried (its reason or exit code chosen by the task's retryPolicy,
 * attempts left under backoffLimit), and when: 10 s, 20 s, 40 s, ... capped at 5 minutes after the
 * attempt failed.
 */
public final class RetryBackoff {
  static final Duration BASE = Duration.ofSeconds(10);
  static final Duration CAP = Duration.ofMinutes(5);

  private RetryBackoff() {}

  static boolean retries(
      VirtualMachineTaskSpec spec, PodObservation.Outcome outcome, int failedAttempt) {
    int limit = spec.getBackoffLimit() == null ? 0 : spec.getBackoffLimit();
    RetryPolicy policy = Objects.requireNonNullElseGet(spec.getRetryPolicy(), RetryPolicy::new);
    return failedAttempt <= limit && policy.retries(outcome.reason(), outcome.exitCode());
  }

  /** When the attempt after {@code failedAttempt} starts: its backoff after the failure. */
  static Instant nextAttempt(PodObservation.Outcome outcome, int failedAttempt, Instant now) {
    Instant failedAt = outcome.finishedAt() == null ? now : Instant.parse(outcome.finishedAt());
    return failedAt.plus(after(failedAttempt));
  }

  public static Duration after(int failedAttempt) {
    int doublings = Math.max(0, Math.min(failedAttempt - 1, 20));
    Duration delay = BASE.multipliedBy(1L << doublings);
    return delay.compareTo(CAP) > 0 ? CAP : delay;
  }
}
