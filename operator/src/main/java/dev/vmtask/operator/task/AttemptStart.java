package dev.vmtask.operator.task;

import dev.vmtask.api.image.ImageFormat;
import dev.vmtask.api.image.ImagePhase;
import dev.vmtask.api.image.VMImage;
import dev.vmtask.api.machine.Machine;
import dev.vmtask.api.task.Cdrom;
import dev.vmtask.api.task.TaskReason;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.operator.OperatorConfig;
import dev.vmtask.operator.pod.AccelerationPlan;
import dev.vmtask.operator.pod.BootImages;
import dev.vmtask.operator.pod.PodCreation;
import dev.vmtask.operator.pod.ResolvedMachine;
import dev.vmtask.operator.pod.TaskPodFactory;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Starts an attempt: its images (disk and cdroms) must exist and be validated, the machine must fit
 * the nodes, the acceleration plan must allow a pod; then the attempt's pod is created. Each
 * obstacle becomes a wait or a failure in the task's status; the returned duration is when to try
 * again, if a retry of the pod's creation is due.
 */
final class AttemptStart {
  private final OperatorConfig config;
  private final TaskPodFactory pods;

  AttemptStart(OperatorConfig config, TaskPodFactory pods) {
    this.config = config;
    this.pods = pods;
  }

  Duration start(
      VirtualMachineTask task,
      int attempt,
      TaskStatusUpdates next,
      Context<VirtualMachineTask> context) {
    Map<String, VMImage> found = new HashMap<>();
    context
        .getSecondaryResources(VMImage.class)
        .forEach(i -> found.put(i.getMetadata().getName(), i));
    VMImage image = null;
    if (task.getSpec().getImage() != null) {
      image = usable(task.getSpec().getImage(), found, false, next);
      if (image == null) {
        return null;
      }
    }
    List<VMImage> cdroms = new ArrayList<>();
    for (Cdrom cdrom : Objects.requireNonNullElse(task.getSpec().getCdroms(), List.<Cdrom>of())) {
      VMImage iso = usable(cdrom.getImage(), found, true, next);
      if (iso == null) {
        return null;
      }
      cdroms.add(iso);
    }
    Machine machine;
    try {
      machine =
          ResolvedMachine.resolve(
              task.getSpec().getMachine(),
              image == null ? null : image.getSpec().getMachine(),
              config);
    } catch (ResolvedMachine.InvalidMachineException e) {
      next.failedBeforePod(TaskReason.InvalidMachine, e.getMessage());
      return null;
    }
    AccelerationPlan plan =
        AccelerationPlan.decide(
            task.getSpec().getAcceleration(),
            config.vmNodesHaveKvm(),
            TaskEventSources.vmNodes(context));
    if (next.heldBack(plan)) {
      return null;
    }
    Pod pod = pods.create(task, new BootImages(image, cdroms), machine, attempt, plan);
    PodCreation.Result created = PodCreation.create(context.getClient(), pod, task);
    return switch (created.kind()) {
      case CREATED -> {
        next.podCreated(pod.getMetadata().getName(), attempt).planned(plan);
        yield null;
      }
      case REJECTED -> {
        next.failedBeforePod(TaskReason.PodRejected, created.message());
        yield null;
      }
      case RETRY -> next.createRefused(pod.getMetadata().getName(), created.message());
    };
  }

  /**
   * The image named {@code name} if it is validated and of the right kind (an iso for a cdrom, a
   * disk otherwise); else null, with the wait or the failure in {@code next}.
   */
  private static VMImage usable(
      String name, Map<String, VMImage> found, boolean cdrom, TaskStatusUpdates next) {
    VMImage image = found.get(name);
    if (image == null) {
      next.waiting("ImageNotFound", "VMImage " + name + " does not exist");
      return null;
    }
    boolean iso = image.getSpec().getFormat() == ImageFormat.ISO;
    if (iso != cdrom) {
      next.failedBeforePod(
          TaskReason.ImageFailed,
          cdrom
              ? "VMImage " + name + " is a cdrom of this task but its format is not iso"
              : "VMImage " + name + " is an iso: attach it as a cdrom (cdroms, with blankDisk)");
      return null;
    }
    var status = image.getStatus();
    if (status != null && status.getPhase() == ImagePhase.Failed) {
      next.failedBeforePod(
          TaskReason.ImageFailed, "VMImage " + name + " failed: " + status.getMessage());
      return null;
    }
    if (status == null
        || status.getPhase() != ImagePhase.Ready
        || !Objects.equals(status.getObservedGeneration(), image.getMetadata().getGeneration())) {
      next.waiting("ImageNotReady", "waiting for VMImage " + name + " to be validated");
      return null;
    }
    return image;
  }
}
