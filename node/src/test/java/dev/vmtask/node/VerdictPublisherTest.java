package dev.vmtask.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtask.api.node.KvmNodeStatus;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class VerdictPublisherTest {
  @Test
  void theVerdictPatchesOnlyTheLabelAndTwoAnnotations() {
    String body =
        VerdictPublisher.patchBody(
            KvmNodeStatus.UNUSABLE,
            "KVM internal error.\n  Suberror: 1",
            Instant.parse("2026-12-01T10:00:00Z"));
    assertThat(body)
        .isEqualTo(
            "{\"metadata\":{\"labels\":{\"vmtask.dev/kvm\":\"unusable\"},\"annotations\":"
                + "{\"vmtask.dev/kvm-reason\":\"KVM internal error. Suberror: 1\","
                + "\"vmtask.dev/kvm-verdict-time\":\"2026-12-01T10:00:00Z\"}}}");
  }

  @Test
  void longReasonsAreCutToOneReadableLine() {
    String body =
        VerdictPublisher.patchBody(KvmNodeStatus.UNUSABLE, "x".repeat(5000), Instant.EPOCH);
    assertThat(body).contains("x".repeat(VerdictPublisher.MAX_REASON) + "...\"");
    assertThat(body).doesNotContain("x".repeat(VerdictPublisher.MAX_REASON + 1));
  }
}
