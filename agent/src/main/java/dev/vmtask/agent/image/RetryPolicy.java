package dev.vmtask.agent.image;

import java.time.Duration;

/**
 * Retries of one HTTP fetch (connect, status, broken body): taskcluster's 8 attempts with
 * exponential backoff from 200 ms to at most 60 s, randomised by ±25 %.
 */
public record RetryPolicy(int maxAttempts, Duration initialDelay, Duration maxDelay) {
  public static final RetryPolicy DEFAULT =
      new RetryPolicy(8, Duration.ofMillis(200), Duration.ofSeconds(60));

  /** Delay before attempt {@code attempt} (2 is the first retry). */
  public Duration delayBefore(int attempt, double random01) {
    double base = initialDelay.toMillis() * Math.pow(2, Math.max(0, attempt - 2));
    double jittered = base * (0.75 + 0.5 * random01);
    return Duration.ofMillis((long) Math.min(maxDelay.toMillis(), jittered));
  }
}
