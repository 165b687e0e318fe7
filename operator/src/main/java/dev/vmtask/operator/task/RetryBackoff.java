package dev.vmtask.operator.task;

import java.time.Duration;

/** Delay before retrying after failed attempt n: 10 s, 20 s, 40 s, ... capped at 5 minutes. */
public final class RetryBackoff {
  static final Duration BASE = Duration.ofSeconds(10);
  static final Duration CAP = Duration.ofMinutes(5);

  private RetryBackoff() {}

  public static Duration after(int failedAttempt) {
    int doublings = Math.max(0, Math.min(failedAttempt - 1, 20));
    Duration delay = BASE.multipliedBy(1L << doublings);
    return delay.compareTo(CAP) > 0 ? CAP : delay;
  }
}
