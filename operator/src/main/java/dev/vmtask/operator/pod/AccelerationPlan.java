package dev.vmtask.operator.pod;

import dev.vmtask.api.node.KvmNodeStatus;
import dev.vmtask.api.task.Acceleration;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * How one attempt is accelerated, decided from the task's request, the chart's word on whether VM
 * nodes have KVM, and the VM nodes as the node daemon labelled them. Only a pod that requests
 * {@link KvmNodeStatus#DEVICE_RESOURCE} gets /dev/kvm, and only nodes whose verdict proved KVM
 * offer it, so a pod with the device never probes again.
 */
public record AccelerationPlan(Kind kind, String message) {
  /** What the attempt does. */
  public enum Kind {
    /** Request the device: the pod lands on a node whose verdict proved KVM. */
    KVM_DEVICE,
    /** Run under TCG and request nothing. */
    TCG,
    /** A VM node is still taking its verdict: create no pod yet. */
    WAIT_FOR_VERDICT,
    /** {@code kvm} requested and no VM node offers the device: the task fails. */
    KVM_UNAVAILABLE
  }

  /** Nodes listed in a message; the rest are counted. */
  static final int NODES_SHOWN = 5;

  /**
   * {@code vmNodes} are the nodes matching the chart's VM node selector (cordoned ones are skipped
   * here).
   */
  public static AccelerationPlan decide(
      Acceleration requested, boolean vmNodesHaveKvm, Collection<Node> vmNodes) {
    Acceleration a = requested == null ? Acceleration.AUTO : requested;
    if (a == Acceleration.TCG) {
      return new AccelerationPlan(Kind.TCG, "tcg: the task asks for tcg");
    }
    if (a == Acceleration.AUTO && !vmNodesHaveKvm) {
      return new AccelerationPlan(
          Kind.TCG, "tcg: the chart declares no KVM on VM nodes (kvm.vmNodesHaveKvm is false)");
    }
    List<Node> schedulable =
        vmNodes.stream()
            .filter(
                n -> n.getSpec() == null || !Boolean.TRUE.equals(n.getSpec().getUnschedulable()))
            .sorted(Comparator.comparing(n -> n.getMetadata().getName()))
            .toList();
    long offering = schedulable.stream().filter(AccelerationPlan::offersDevice).count();
    if (offering > 0) {
      return new AccelerationPlan(
          Kind.KVM_DEVICE,
          "kvm: requests "
              + KvmNodeStatus.DEVICE_RESOURCE
              + ", offered by "
              + offering
              + " VM node(s) whose verdict proved KVM");
    }
    List<Node> pending =
        schedulable.stream()
            .filter(n -> KvmNodeStatus.PROBING.equals(verdict(n)) || provenNotYetOffered(n))
            .toList();
    if (!pending.isEmpty()) {
      return new AccelerationPlan(
          Kind.WAIT_FOR_VERDICT, "waiting for the KVM verdict of " + describe(pending));
    }
    String why =
        schedulable.isEmpty()
            ? "no schedulable node matches the VM node selector"
            : "no VM node offers "
                + KvmNodeStatus.DEVICE_RESOURCE
                + " ("
                + describe(schedulable)
                + ")";
    return a == Acceleration.KVM
        ? new AccelerationPlan(Kind.KVM_UNAVAILABLE, why)
        : new AccelerationPlan(Kind.TCG, "tcg: " + why);
  }

  /** The kubelet reports allocatable KVM slots for the node. */
  /**
   * The node's verdict proves KVM and its kubelet reports the device. The kubelet's count lags
   * behind a daemon that restarts and probes again (label probing at once, devices unhealthy): a
   * pod planned on the count alone would be refused at admission.
   */
  public static boolean offersDevice(Node node) {
    return KvmNodeStatus.USABLE.equals(verdict(node)) && reportsDevice(node);
  }

  private static boolean reportsDevice(Node node) {
    Map<String, Quantity> allocatable =
        node.getStatus() == null ? null : node.getStatus().getAllocatable();
    Quantity q = allocatable == null ? null : allocatable.get(KvmNodeStatus.DEVICE_RESOURCE);
    return q != null && q.getNumericalAmount().signum() > 0;
  }

  /** The verdict says usable but the kubelet has not reported the device yet. */
  private static boolean provenNotYetOffered(Node node) {
    return KvmNodeStatus.USABLE.equals(verdict(node)) && !reportsDevice(node);
  }

  private static String verdict(Node node) {
    Map<String, String> labels = node.getMetadata().getLabels();
    return labels == null ? null : labels.get(KvmNodeStatus.VERDICT_LABEL);
  }

  /** "node a: unusable (KVM internal error ...); node b: no KVM verdict (...)". */
  private static String describe(List<Node> nodes) {
    String shown =
        nodes.stream()
            .limit(NODES_SHOWN)
            .map(AccelerationPlan::describe)
            .collect(Collectors.joining("; "));
    return nodes.size() > NODES_SHOWN
        ? shown + "; and " + (nodes.size() - NODES_SHOWN) + " more"
        : shown;
  }

  private static String describe(Node node) {
    String verdict = verdict(node);
    Map<String, String> annotations = node.getMetadata().getAnnotations();
    String reason = annotations == null ? null : annotations.get(KvmNodeStatus.REASON_ANNOTATION);
    String name = "node " + node.getMetadata().getName() + ": ";
    if (verdict == null) {
      return name + "no KVM verdict (the vmtask-node daemon does not run there)";
    }
    if (KvmNodeStatus.USABLE.equals(verdict) && !reportsDevice(node)) {
      return name
          + "KVM usable, the kubelet does not report "
          + KvmNodeStatus.DEVICE_RESOURCE
          + " yet";
    }
    return name
        + "KVM "
        + verdict
        + (reason == null || reason.isBlank() ? "" : " (" + reason + ")");
  }
}
