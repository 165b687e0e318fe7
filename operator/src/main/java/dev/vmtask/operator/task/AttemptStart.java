package dev.vmtask.operator.task;

import dev.vmtask.api.image.ImagePhase;
import dev.vmtask.api.image.VMImage;
import dev.vmtask.api.machine.Machine;
import dev.vmtask.api.task.TaskReason;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.operator.OperatorConfig;
import dev.vmtask.operator.pod.AccelerationPlan;
import dev.vmtask.operator.pod.PodCreation;
import dev.vmtask.operator.pod.ResolvedMachine;
import dev.vmtask.operator.pod.TaskPodFactory;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.time.Duration;
import java.util.Objects;

/**
 * Starts an attempt: the image must exist and be validated, the machine must fit the nodes, the
 * acceleration plan must allow a pod; then the attempt's pod is created. Each obstacle becomes a
 * wait or a failure in the task's status; the returned duration is when to try again, if a retry of
 * the pod's creation is due.
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
    String imageName = task.getSpec().getImage();
    VMImage image = context.getSecondaryResource(VMImage.class).orElse(null);
    if (image == null) {
      next.waiting("ImageNotFound", "VMImage " + imageName + " does not exist");
      return null;
    }
    var imageStatus = image.getStatus();
    if (imageStatus != null && imageStatus.getPhase() == ImagePhase.Failed) {
      next.failedBeforePod(
          TaskReason.ImageFailed, "VMImage " + imageName + " failed: " + imageStatus.getMessage());
      return null;
    }
    if (imageStatus == null
        || imageStatus.getPhase() != ImagePhase.Ready
        || !Objects.equals(
            imageStatus.getObservedGeneration(), image.getMetadata().getGeneration())) {
      next.waiting("ImageNotReady", "waiting for VMImage " + imageName + " to be validated");
      return null;
    }
    Machine machine;
    try {
      machine =
          ResolvedMachine.resolve(
              task.getSpec().getMachine(), image.getSpec().getMachine(), config);
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
    Pod pod = pods.create(task, image, machine, attempt, plan);
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
}
