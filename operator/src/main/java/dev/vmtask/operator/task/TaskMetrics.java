package dev.vmtask.operator.task;

import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.Timings;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.api.task.VirtualMachineTaskStatus;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;

/**
 * Task metrics for dashboards and alerts, recorded once a status write succeeded (so a retried
 * reconcile never counts twice): tasks by phase (from the operator's cache), finished tasks and
 * retried attempts by reason and acceleration, and how long attempts spent starting (image volume
 * and container), booting and running the command.
 */
final class TaskMetrics {
  static final String TASKS = "vmtask.tasks";
  static final String FINISHED = "vmtask.tasks.finished";
  static final String RETRIED = "vmtask.task.attempts.retried";

  private final MeterRegistry registry;
  private final DistributionSummary start;
  private final DistributionSummary boot;
  private final DistributionSummary command;

  TaskMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.start =
        seconds("vmtask.task.start", "pod scheduled to agent started: image volume, container");
    this.boot = seconds("vmtask.task.boot", "VM start to the guest fetching its command");
    this.command = seconds("vmtask.task.command", "the guest command's run time");
  }

  /** Tasks by phase, counted in the operator's cache at each scrape. */
  void watchPhases(IndexedResourceCache<VirtualMachineTask> tasks) {
    for (TaskPhase phase : TaskPhase.values()) {
      Gauge.builder(TASKS, tasks, cache -> count(cache, phase))
          .description("Tasks the operator sees, by phase")
          .tag("phase", phase.name())
          .register(registry);
    }
  }

  /** What a successful status write changed. */
  void transition(StatusChange change) {
    VirtualMachineTaskStatus next = change.next();
    if (change.newRetry()) {
      Counter.builder(RETRIED)
          .description("Failed attempts that are retried, by reason")
          .tag("reason", String.valueOf(next.getReason()))
          .register(registry)
          .increment();
      attemptTimings(next.getTimings());
    }
    if (change.finished()) {
      Counter.builder(FINISHED)
          .description("Tasks that finished, by phase, reason and the acceleration they used")
          .tag("phase", next.getPhase().name())
          .tag("reason", String.valueOf(next.getReason()))
          .tag("acceleration", Objects.requireNonNullElse(next.getAcceleration(), "none"))
          .register(registry)
          .increment();
      attemptTimings(next.getTimings());
    }
  }

  private void attemptTimings(Timings t) {
    if (t == null) {
      return;
    }
    record(start, t.getStartMs());
    record(boot, t.getBootMs());
    record(command, t.getCommandMs());
  }

  private static void record(DistributionSummary summary, Long millis) {
    if (millis != null && millis >= 0) {
      summary.record(millis / 1000.0);
    }
  }

  private DistributionSummary seconds(String name, String description) {
    return DistributionSummary.builder(name)
        .description(description)
        .baseUnit("seconds")
        .serviceLevelObjectives(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600)
        .register(registry);
  }

  private static double count(IndexedResourceCache<VirtualMachineTask> cache, TaskPhase phase) {
    return cache
        .list()
        .filter(
            t ->
                (t.getStatus() == null || t.getStatus().getPhase() == null
                        ? TaskPhase.Pending
                        : t.getStatus().getPhase())
                    == phase)
        .count();
  }
}
