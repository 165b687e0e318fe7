package dev.vmtask.operator.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.TaskReason;
import dev.vmtask.api.task.Timings;
import dev.vmtask.api.task.VirtualMachineTaskStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class TaskMetricsTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final TaskMetrics metrics = new TaskMetrics(registry);

  @Test
  void aFinishedTaskIsCountedOnceWithItsReasonAccelerationAndTimings() {
    VirtualMachineTaskStatus running = status(TaskPhase.Running, null, null);
    VirtualMachineTaskStatus failed = status(TaskPhase.Failed, TaskReason.NonZeroExit, null);
    failed.setAcceleration("tcg");
    Timings t = new Timings();
    t.setStartMs(1500L);
    t.setBootMs(9000L);
    t.setCommandMs(250L);
    failed.setTimings(t);

    metrics.transition(new StatusChange(running, failed));
    metrics.transition(
        new StatusChange(failed, failed)); // a later write of the same phase counts nothing

    assertThat(
            registry
                .get(TaskMetrics.FINISHED)
                .tags("phase", "Failed", "reason", "NonZeroExit", "acceleration", "tcg")
                .counter()
                .count())
        .isEqualTo(1.0);
    assertThat(registry.get("vmtask.task.boot").summary().totalAmount()).isEqualTo(9.0);
    assertThat(registry.get("vmtask.task.start").summary().totalAmount()).isEqualTo(1.5);
    assertThat(registry.get("vmtask.task.command").summary().count()).isEqualTo(1);
  }

  @Test
  void aRetriedAttemptIsCountedByReason() {
    VirtualMachineTaskStatus backoff =
        status(TaskPhase.Pending, TaskReason.NodeLost, "2026-01-01T00:00:10Z");
    metrics.transition(new StatusChange(status(TaskPhase.Running, null, null), backoff));
    metrics.transition(new StatusChange(backoff, backoff));
    assertThat(registry.get(TaskMetrics.RETRIED).tags("reason", "NodeLost").counter().count())
        .isEqualTo(1.0);
    assertThat(registry.find(TaskMetrics.FINISHED).counter()).isNull();
  }

  @Test
  void theChartsDashboardAndAlertsOnlyUseMetricsTheOperatorExports() throws Exception {
    var prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    var exported = new TaskMetrics(prometheus);
    exported.watchPhases(null);
    VirtualMachineTaskStatus done = status(TaskPhase.Succeeded, TaskReason.Completed, null);
    done.setTimings(new Timings());
    exported.transition(new StatusChange(null, done));
    exported.transition(
        new StatusChange(
            null, status(TaskPhase.Pending, TaskReason.NodeLost, "2026-01-01T00:00:10Z")));
    Set<String> names =
        Pattern.compile("^(vmtask_[a-z_]+)", Pattern.MULTILINE)
            .matcher(prometheus.scrape())
            .results()
            .map(m -> m.group(1))
            .collect(Collectors.toSet());

    for (String file :
        List.of(
            "../helm/vmtask/dashboards/vmtask.json",
            "../helm/vmtask/templates/prometheusrule.yaml")) {
      List<String> used =
          Pattern.compile("(vmtask_[a-z_]+)")
              .matcher(Files.readString(Path.of(file)))
              .results()
              .map(m -> m.group(1))
              .toList();
      assertThat(used).as(file).isNotEmpty();
      assertThat(names).as("what %s uses", file).containsAll(used);
    }
  }

  private static VirtualMachineTaskStatus status(
      TaskPhase phase, TaskReason reason, String nextAttempt) {
    VirtualMachineTaskStatus s = new VirtualMachineTaskStatus();
    s.setPhase(phase);
    s.setReason(reason);
    s.setNextAttemptTime(nextAttempt);
    return s;
  }
}
