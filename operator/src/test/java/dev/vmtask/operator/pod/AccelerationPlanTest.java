package dev.vmtask.operator.pod;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtask.api.node.KvmNodeStatus;
import dev.vmtask.api.task.Acceleration;
import dev.vmtask.operator.pod.AccelerationPlan.Kind;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.List;
import org.junit.jupiter.api.Test;

class AccelerationPlanTest {
  private static final String BROKEN =
      "KVM internal error. Suberror: 1; emulation failure (the guest stopped in its firmware)";

  @Test
  void tcgAsksForNothingWhateverTheNodes() {
    var plan = AccelerationPlan.decide(Acceleration.TCG, true, List.of(proven("a")));
    assertThat(plan.kind()).isEqualTo(Kind.TCG);
    assertThat(plan.message()).contains("the task asks for tcg");
  }

  @Test
  void autoRunsTcgWhenTheChartDeclaresNoKvm() {
    var plan = AccelerationPlan.decide(Acceleration.AUTO, false, List.of(proven("a")));
    assertThat(plan.kind()).isEqualTo(Kind.TCG);
    assertThat(plan.message()).contains("kvm.vmNodesHaveKvm is false");
  }

  @Test
  void kvmAndAutoRequestTheDeviceWhereANodeOffersIt() {
    List<Node> nodes = List.of(unusable("a"), proven("b"));
    assertThat(AccelerationPlan.decide(Acceleration.KVM, false, nodes).kind())
        .as("kvm does not depend on the chart's declaration")
        .isEqualTo(Kind.KVM_DEVICE);
    var auto = AccelerationPlan.decide(null, true, nodes);
    assertThat(auto.kind()).isEqualTo(Kind.KVM_DEVICE);
    assertThat(auto.message()).contains("offered by 1 VM node(s)");
  }

  @Test
  void kvmFailsAndAutoRunsTcgWhenNoNodeCanEverOfferIt() {
    List<Node> nodes = List.of(unusable("a"), bare("b"));
    var kvm = AccelerationPlan.decide(Acceleration.KVM, true, nodes);
    assertThat(kvm.kind()).isEqualTo(Kind.KVM_UNAVAILABLE);
    assertThat(kvm.message())
        .contains("no VM node offers devices.vmtask.dev/kvm")
        .contains("node a: KVM unusable (" + BROKEN + ")")
        .contains("node b: no KVM verdict (the vmtask-node daemon does not run there)");
    var auto = AccelerationPlan.decide(Acceleration.AUTO, true, nodes);
    assertThat(auto.kind()).isEqualTo(Kind.TCG);
    assertThat(auto.message()).startsWith("tcg: no VM node offers").contains(BROKEN);
  }

  @Test
  void aNodeStillProbingOrNotYetReportingTheDeviceIsWaitedFor() {
    var probing =
        AccelerationPlan.decide(Acceleration.KVM, true, List.of(labelled("a", "probing")));
    assertThat(probing.kind()).isEqualTo(Kind.WAIT_FOR_VERDICT);
    assertThat(probing.message()).contains("node a: KVM probing");
    var notReported =
        AccelerationPlan.decide(Acceleration.AUTO, true, List.of(labelled("a", "usable")));
    assertThat(notReported.kind()).isEqualTo(Kind.WAIT_FOR_VERDICT);
    assertThat(notReported.message()).contains("the kubelet does not report");
    // A daemon that restarts probes again at once; the kubelet still counts the old device.
    Node reprobing = proven("a");
    reprobing.getMetadata().getLabels().put(KvmNodeStatus.VERDICT_LABEL, "probing");
    assertThat(AccelerationPlan.decide(Acceleration.AUTO, true, List.of(reprobing)).kind())
        .isEqualTo(Kind.WAIT_FOR_VERDICT);
  }

  @Test
  void cordonedNodesDoNotCount() {
    Node cordoned = proven("a");
    cordoned.getSpec().setUnschedulable(true);
    var plan = AccelerationPlan.decide(Acceleration.KVM, true, List.of(cordoned));
    assertThat(plan.kind()).isEqualTo(Kind.KVM_UNAVAILABLE);
    assertThat(plan.message()).contains("no schedulable node matches the VM node selector");
  }

  @Test
  void longNodeListsAreCut() {
    List<Node> nodes =
        List.of(
            unusable("n1"),
            unusable("n2"),
            unusable("n3"),
            unusable("n4"),
            unusable("n5"),
            unusable("n6"),
            unusable("n7"));
    var plan = AccelerationPlan.decide(Acceleration.KVM, true, nodes);
    assertThat(plan.message())
        .contains("node n5")
        .doesNotContain("node n6")
        .endsWith("and 2 more)");
  }

  private static Node proven(String name) {
    Node n = labelled(name, KvmNodeStatus.USABLE);
    n.getStatus().getAllocatable().put(KvmNodeStatus.DEVICE_RESOURCE, new Quantity("110"));
    return n;
  }

  private static Node unusable(String name) {
    Node n = labelled(name, KvmNodeStatus.UNUSABLE);
    n.getMetadata().getAnnotations().put(KvmNodeStatus.REASON_ANNOTATION, BROKEN);
    // the device plugin registered and offers nothing
    n.getStatus().getAllocatable().put(KvmNodeStatus.DEVICE_RESOURCE, new Quantity("0"));
    return n;
  }

  private static Node labelled(String name, String verdict) {
    Node n = bare(name);
    n.getMetadata().getLabels().put(KvmNodeStatus.VERDICT_LABEL, verdict);
    return n;
  }

  private static Node bare(String name) {
    return new NodeBuilder()
        .withNewMetadata()
        .withName(name)
        .addToLabels("kubernetes.io/hostname", name)
        .addToAnnotations("x", "y")
        .endMetadata()
        .withNewSpec()
        .endSpec()
        .withNewStatus()
        .addToAllocatable("cpu", new Quantity("2"))
        .endStatus()
        .build();
  }
}
