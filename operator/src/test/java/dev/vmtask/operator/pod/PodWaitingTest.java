package dev.vmtask.operator.pod;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

class PodWaitingTest {
  private static final String KUBELET =
      "MountVolume.SetUp failed for volume \"image\" : rpc error: code = Unavailable desc = ";

  @Test
  void missingSecretsConfigMapsAndClaimsAreMissingInputsOtherWaitsAreNot() {
    assertThat(waiting("CreateContainerConfigError: secret \"absent\" not found").missingInput())
        .isTrue();
    assertThat(waiting("couldn't find key token in Secret ns/creds").missingInput()).isTrue();
    assertThat(waiting("cannot mount a volume yet: configmap \"inputs\" not found").missingInput())
        .isTrue();
    assertThat(
            waiting(
                    "cannot be scheduled yet: 0/1 nodes are available: persistentvolumeclaim"
                        + " \"nowhere\" not found.")
                .missingInput())
        .isTrue();
    assertThat(
            waiting("cannot be scheduled yet: 0/1 nodes are available: Insufficient cpu")
                .missingInput())
        .isFalse();
    assertThat(waiting("ErrImagePull: image \"x\" not found").missingInput()).isFalse();
  }

  private static PodWaiting.Waiting waiting(String message) {
    return new PodWaiting.Waiting("R", message, true);
  }

  @Test
  void theSchedulersReasonExplainsAnUnscheduledPod() {
    Pod pod =
        new PodBuilder(pod(null, null))
            .editStatus()
            .addNewCondition()
            .withType("PodScheduled")
            .withStatus("False")
            .withReason("Unschedulable")
            .withMessage("0/2 nodes are available: 2 Insufficient devices.kubevirt.io/kvm.")
            .endCondition()
            .endStatus()
            .build();
    var waiting = PodWaiting.of(pod, List.of()).orElseThrow();
    assertThat(waiting.reason()).isEqualTo("Unschedulable");
    assertThat(waiting.message())
        .isEqualTo(
            "cannot be scheduled yet: 0/2 nodes are available: 2 Insufficient"
                + " devices.kubevirt.io/kvm.");
    assertThat(PodWaiting.of(pod(null, null), List.of())).isEmpty();
  }

  @Test
  void theLatestMountEventOfThisPodGivesTheDownloadsProgress() {
    Pod pod = pod("node-1", "ContainerCreating");
    List<Event> events =
        List.of(
            event("uid-1", KUBELET + "fetching the image: 10 % (1 MiB) after 20 s", "T01:00:00Z"),
            event("uid-1", KUBELET + "fetching the image: 55 % (9 MiB) after 41 s", "T01:00:41Z"),
            event("uid-2", KUBELET + "fetching the image: 99 % (9 MiB) after 90 s", "T01:01:30Z"));
    var waiting = PodWaiting.of(pod, events).orElseThrow();
    assertThat(waiting.reason()).isEqualTo("FetchingImage");
    assertThat(waiting.message())
        .isEqualTo("waits for the node to fetch its image: 55 % (9 MiB) after 41 s");
    assertThat(waiting.problem()).isFalse();
  }

  @Test
  void anyOtherMountFailureIsAProblemInTheDriversWords() {
    Pod pod = pod("node-1", "ContainerCreating");
    var waiting =
        PodWaiting.of(
                pod,
                List.of(
                    event(
                        "uid-1",
                        "MountVolume.SetUp failed for volume \"image\" : kubernetes.io/csi:"
                            + " mounter.SetUpAt failed to get CSI client: driver name"
                            + " images.vmtask.dev not found in the list of registered CSI drivers",
                        "T01:00:00Z")))
            .orElseThrow();
    assertThat(waiting.reason()).isEqualTo("VolumeNotReady");
    assertThat(waiting.problem()).isTrue();
    assertThat(waiting.message())
        .startsWith("cannot mount a volume yet: MountVolume.SetUp failed")
        .endsWith("not found in the list of registered CSI drivers");
  }

  @Test
  void aContainerThatCannotStartOutranksOldMountEvents() {
    Pod pod = pod("node-1", "CreateContainerConfigError");
    pod.getStatus()
        .getContainerStatuses()
        .get(0)
        .getState()
        .getWaiting()
        .setMessage("secret \"creds\" not found");
    var waiting =
        PodWaiting.of(pod, List.of(event("uid-1", KUBELET + "fetching the image: 1 %", "T01Z")))
            .orElseThrow();
    assertThat(waiting.reason()).isEqualTo("CreateContainerConfigError");
    assertThat(waiting.message())
        .isEqualTo(
            "cannot start its agent container: CreateContainerConfigError: secret \"creds\" not"
                + " found");
  }

  @Test
  void aPodStartingAsUsualWaitsForNothing() {
    assertThat(PodWaiting.of(pod("node-1", "ContainerCreating"), List.of())).isEmpty();
    assertThat(PodWaiting.of(pod("node-1", null), List.of())).isEmpty();
  }

  private static Pod pod(String node, String waitingReason) {
    var builder =
        new PodBuilder()
            .withNewMetadata()
            .withName("t-1")
            .withUid("uid-1")
            .endMetadata()
            .withNewSpec()
            .withNodeName(node)
            .endSpec()
            .withNewStatus()
            .withPhase("Pending")
            .endStatus();
    if (waitingReason != null) {
      builder
          .editStatus()
          .addNewContainerStatus()
          .withName("agent")
          .withNewState()
          .withNewWaiting()
          .withReason(waitingReason)
          .endWaiting()
          .endState()
          .endContainerStatus()
          .endStatus();
    }
    return builder.build();
  }

  private static Event event(String podUid, String message, String time) {
    return new EventBuilder()
        .withNewMetadata()
        .withName("t-1." + time)
        .endMetadata()
        .withReason("FailedMount")
        .withNewInvolvedObject()
        .withKind("Pod")
        .withName("t-1")
        .withUid(podUid)
        .endInvolvedObject()
        .withMessage(message)
        .withLastTimestamp("2026-12-02" + time)
        .build();
  }
}
