package dev.vmtask.operator.task;

import dev.vmtask.api.task.VirtualMachineTask;
import java.time.Duration;
import java.time.Instant;

/** {@code ttlSecondsAfterFinished}: how long a finished task stays before it is deleted. */
final class TaskTtl {
  private TaskTtl() {}

  /** The whole TTL (at least a second), for a task that finished just now; null without one. */
  static Duration of(VirtualMachineTask task) {
    Long ttl = task.getSpec().getTtlSecondsAfterFinished();
    return ttl == null ? null : Duration.ofSeconds(Math.max(ttl, 1));
  }

  /** What is left of the TTL of a finished task (zero or less: due); null without one. */
  static Duration left(VirtualMachineTask task, Instant now) {
    Long ttl = task.getSpec().getTtlSecondsAfterFinished();
    String completed = task.getStatus().getCompletionTime();
    if (ttl == null || completed == null) {
      return null;
    }
    return Duration.between(now, Instant.parse(completed).plusSeconds(ttl));
  }
}
