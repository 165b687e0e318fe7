package dev.vmtask.operator.task;

import dev.vmtask.api.image.VMImage;
import dev.vmtask.api.node.KvmNodeStatus;
import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.operator.OperatorConfig;
import dev.vmtask.operator.pod.AccelerationPlan;
import dev.vmtask.operator.pod.MountEventSource;
import dev.vmtask.operator.pod.PodLabels;
import dev.vmtask.operator.pod.PrunedPodStore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Constants;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What wakes a task up: its pods (found through their owner reference), its image (found through an
 * index of tasks by image name; only phase and spec changes of an image matter), and, for a task
 * the kubelet's FailedMount events on its pods (download progress), and, for a task waiting for a
 * node's KVM verdict, a change of the VM nodes' verdicts or KVM devices.
 */
final class TaskEventSources {
  static final String BY_IMAGE = "vmtask.dev/by-image";
  static final String AWAITING_KVM_VERDICT = "vmtask.dev/awaiting-kvm-verdict";
  static final String VM_NODES = "vm-nodes";

  private TaskEventSources() {}

  static List<EventSource<?, VirtualMachineTask>> create(
      EventSourceContext<VirtualMachineTask> context, OperatorConfig config) {
    context
        .getPrimaryCache()
        .addIndexer(
            BY_IMAGE,
            t -> imageNames(t).stream().map(n -> key(t.getMetadata().getNamespace(), n)).toList());
    context
        .getPrimaryCache()
        .addIndexer(
            AWAITING_KVM_VERDICT,
            t -> awaitsKvmVerdict(t) ? List.of(AWAITING_KVM_VERDICT) : List.of());
    var pods =
        InformerEventSourceConfiguration.from(Pod.class, VirtualMachineTask.class)
            .withName("task-pods")
            .withLabelSelector(
                PodLabels.SELECTOR + "," + PodLabels.ROLE + "=" + PodLabels.ROLE_TASK)
            .withItemStore(new PrunedPodStore())
            .build();
    var images =
        InformerEventSourceConfiguration.from(VMImage.class, VirtualMachineTask.class)
            .withName("task-images")
            .withSecondaryToPrimaryMapper(
                (VMImage image) ->
                    context
                        .getPrimaryCache()
                        .byIndex(
                            BY_IMAGE,
                            key(image.getMetadata().getNamespace(), image.getMetadata().getName()))
                        .stream()
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
            .withPrimaryToSecondaryMapper(
                (VirtualMachineTask task) ->
                    imageNames(task).stream()
                        .map(n -> new ResourceID(n, task.getMetadata().getNamespace()))
                        .collect(Collectors.toSet()))
            .withOnUpdateFilter(TaskEventSources::matters)
            .build();
    // Nodes are cluster-scoped: one informer on all of them, whatever namespaces tasks live in.
    var nodes =
        InformerEventSourceConfiguration.from(Node.class, VirtualMachineTask.class)
            .withName(VM_NODES)
            .withNamespaces(Set.of(Constants.WATCH_ALL_NAMESPACES))
            .withFollowControllerNamespacesChanges(false)
            .withLabelSelector(labelSelector(config.vmNodeSelector()))
            .withSecondaryToPrimaryMapper(
                (Node node) ->
                    context
                        .getPrimaryCache()
                        .byIndex(AWAITING_KVM_VERDICT, AWAITING_KVM_VERDICT)
                        .stream()
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
            .withOnUpdateFilter(TaskEventSources::kvmChanged)
            .build();
    var podSource = new InformerEventSource<>(pods, context);
    return List.of(
        podSource,
        MountEventSource.create(
            "task-mount-events",
            VirtualMachineTask.class,
            podSource,
            TaskEventSources::taskOf,
            context),
        new InformerEventSource<>(images, context),
        new InformerEventSource<>(nodes, context));
  }

  private static Set<ResourceID> taskOf(Pod pod) {
    var owners = pod.getMetadata().getOwnerReferences();
    return owners == null
        ? Set.of()
        : owners.stream()
            .filter(o -> HasMetadata.getKind(VirtualMachineTask.class).equals(o.getKind()))
            .map(o -> new ResourceID(o.getName(), pod.getMetadata().getNamespace()))
            .collect(Collectors.toSet());
  }

  /** The VM nodes as the operator last saw them. */
  @SuppressWarnings("unchecked")
  static List<Node> vmNodes(Context<VirtualMachineTask> context) {
    var source =
        (InformerEventSource<Node, VirtualMachineTask>)
            context.eventSourceRetriever().getEventSourceFor(Node.class, VM_NODES);
    return source.list().toList();
  }

  private static boolean awaitsKvmVerdict(VirtualMachineTask task) {
    var status = task.getStatus();
    return status != null
        && status.getPhase() == TaskPhase.Pending
        && status.getConditions() != null
        && status.getConditions().stream().anyMatch(c -> KVM_VERDICT_PENDING.equals(c.getReason()));
  }

  static final String KVM_VERDICT_PENDING = "KvmVerdictPending";

  /** Heartbeats and other status churn do not matter; verdicts and devices do. */
  private static boolean kvmChanged(Node newNode, Node oldNode) {
    return !Objects.equals(
            labelOf(newNode, KvmNodeStatus.VERDICT_LABEL),
            labelOf(oldNode, KvmNodeStatus.VERDICT_LABEL))
        || AccelerationPlan.offersDevice(newNode) != AccelerationPlan.offersDevice(oldNode)
        || !Objects.equals(
            newNode.getSpec().getUnschedulable(), oldNode.getSpec().getUnschedulable());
  }

  private static String labelOf(Node node, String key) {
    var labels = node.getMetadata().getLabels();
    return labels == null ? null : labels.get(key);
  }

  private static String labelSelector(Map<String, String> selector) {
    return selector.isEmpty()
        ? null
        : selector.entrySet().stream()
            .map(e -> e.getKey() + "=" + e.getValue())
            .collect(Collectors.joining(","));
  }

  /** Tasks only care when an image becomes (un)usable, not about its node list. */
  private static boolean matters(VMImage newImage, VMImage oldImage) {
    return !Objects.equals(phase(newImage), phase(oldImage))
        || !Objects.equals(
            newImage.getMetadata().getGeneration(), oldImage.getMetadata().getGeneration())
        || !Objects.equals(observed(newImage), observed(oldImage));
  }

  private static Object phase(VMImage image) {
    return image.getStatus() == null ? null : image.getStatus().getPhase();
  }

  private static Object observed(VMImage image) {
    return image.getStatus() == null ? null : image.getStatus().getObservedGeneration();
  }

  /** The VMImages a task boots: its disk's image unless blank, and its cdroms'. */
  static List<String> imageNames(VirtualMachineTask task) {
    List<String> names = new java.util.ArrayList<>();
    if (task.getSpec().getImage() != null) {
      names.add(task.getSpec().getImage());
    }
    if (task.getSpec().getCdroms() != null) {
      task.getSpec().getCdroms().forEach(c -> names.add(c.getImage()));
    }
    return names;
  }

  private static String key(String namespace, String name) {
    return namespace + "/" + name;
  }
}
