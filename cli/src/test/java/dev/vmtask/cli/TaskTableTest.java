package dev.vmtask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.TaskReason;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.api.task.VirtualMachineTaskStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class TaskTableTest {
  @Test
  void columnsAreAligned() {
    VirtualMachineTask done = new VirtualMachineTask();
    done.setMetadata(
        new ObjectMetaBuilder()
            .withName("build-1")
            .withCreationTimestamp("2025-01-01T00:00:00Z")
            .build());
    VirtualMachineTaskStatus s = new VirtualMachineTaskStatus();
    s.setPhase(TaskPhase.Failed);
    s.setReason(TaskReason.NonZeroExit);
    s.setExitCode(2);
    s.setAttempts(3);
    s.setNodeName("node-a");
    done.setStatus(s);
    VirtualMachineTask fresh = new VirtualMachineTask();
    fresh.setMetadata(
        new ObjectMetaBuilder()
            .withName("t")
            .withCreationTimestamp("2025-01-01T00:04:30Z")
            .build());

    String table = TaskTable.render(List.of(done, fresh), Instant.parse("2025-01-01T00:05:00Z"));
    assertThat(table)
        .isEqualTo(
            "NAME      PHASE     REASON        EXIT   ATTEMPTS   NODE     AGE\n"
                + "build-1   Failed    NonZeroExit   2      3          node-a   5m\n"
                + "t         Pending   "
                + " ".repeat(14 + 7 + 11 + 9)
                + "30s\n");
  }

  @Test
  void agesAsKubectlShowsThem() {
    assertThat(TaskTable.humanDuration(Duration.ofSeconds(45))).isEqualTo("45s");
    assertThat(TaskTable.humanDuration(Duration.ofSeconds(200))).isEqualTo("3m20s");
    assertThat(TaskTable.humanDuration(Duration.ofMinutes(17))).isEqualTo("17m");
    assertThat(TaskTable.humanDuration(Duration.ofMinutes(303))).isEqualTo("5h3m");
    assertThat(TaskTable.humanDuration(Duration.ofHours(30))).isEqualTo("30h");
    assertThat(TaskTable.humanDuration(Duration.ofHours(76))).isEqualTo("3d4h");
    assertThat(TaskTable.humanDuration(Duration.ofDays(20))).isEqualTo("20d");
  }
}
