package dev.vmtask.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.Test;

class EventRecorderTest {
  @Test
  void theSameEventAboutTheSameObjectKeepsItsNameSoRepeatsAggregate() {
    HasMetadata task = object("build", "uid-1");
    String first = EventRecorder.name(task, "Warning", "FailedCreate", "Wait", "exceeded quota");
    assertThat(EventRecorder.name(task, "Warning", "FailedCreate", "Wait", "exceeded quota"))
        .isEqualTo(first)
        .startsWith("build.");
    assertThat(EventRecorder.name(task, "Warning", "FailedCreate", "Wait", "another message"))
        .isNotEqualTo(first);
    assertThat(
            EventRecorder.name(
                object("build", "uid-2"), "Warning", "FailedCreate", "Wait", "exceeded quota"))
        .as("a new object of the same name")
        .isNotEqualTo(first);
  }

  @Test
  void namesStayWithinTheApiServersLimit() {
    String name = EventRecorder.name(object("t".repeat(253), "uid"), "Normal", "Running", "R", "");
    assertThat(name).hasSize(253).matches("t+\\.[0-9a-f]{8}");
  }

  private static HasMetadata object(String name, String uid) {
    return new PodBuilder().withNewMetadata().withName(name).withUid(uid).endMetadata().build();
  }
}
