package dev.vmtask.operator.pod;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PodNamesTest {
  private static final String DNS_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

  @Test
  void shortNamesAreReadable() {
    assertThat(PodNames.taskPod("build-42", 3)).isEqualTo("build-42-3");
    assertThat(PodNames.fetchPod("debian", 7)).isEqualTo("debian-fetch-g7");
    assertThat(PodNames.labelValue("debian")).isEqualTo("debian");
  }

  @Test
  void longNamesAreCutToADnsLabelAndStayUniqueAndStable() {
    String a = "x".repeat(100) + "-a";
    String b = "x".repeat(100) + "-b";
    String podA = PodNames.taskPod(a, 10);
    assertThat(podA).hasSize(63).matches(DNS_LABEL).endsWith("-10");
    assertThat(PodNames.taskPod(b, 10)).hasSize(63).isNotEqualTo(podA);
    assertThat(PodNames.taskPod(a, 10)).isEqualTo(podA);
    assertThat(PodNames.labelValue(a)).hasSize(63).matches(DNS_LABEL);
  }

  @Test
  void aCutNeverLeavesADashBeforeTheHash() {
    String name = "a".repeat(52) + "-" + "b".repeat(20);
    assertThat(PodNames.taskPod(name, 1)).doesNotContain("--").matches(DNS_LABEL);
  }

  @Test
  void prefetchPodsDifferPerNode() {
    assertThat(PodNames.prefetchPod("img", 1, "node-a"))
        .startsWith("img-prefetch-g1-")
        .isNotEqualTo(PodNames.prefetchPod("img", 1, "node-b"));
  }
}
