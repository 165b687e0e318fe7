package dev.vmtask.operator.task;

import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.api.task.VirtualMachineTaskStatus;
import dev.vmtask.operator.pod.PodLabels;
import dev.vmtask.operator.pod.PodNames;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.Collection;

/**
 * Which attempt a task is at, from its status and its pods together: the status may lag behind the
 * pods (a write not yet seen), and the pods may lag behind the status (a pod not yet in the cache,
 * or deleted). The higher attempt number wins.
 */
record TaskAttempts(int latest, Pod latestPod, boolean waitingToRetry) {

  static TaskAttempts of(VirtualMachineTask task, Collection<Pod> pods) {
    VirtualMachineTaskStatus status = task.getStatus();
    int fromStatus = status == null || status.getAttempts() == null ? 0 : status.getAttempts();
    int latest = fromStatus;
    for (Pod pod : pods) {
      latest = Math.max(latest, attemptOf(pod));
    }
    String expected = PodNames.taskPod(task.getMetadata().getName(), latest);
    Pod latestPod =
        pods.stream()
            .filter(p -> expected.equals(p.getMetadata().getName()))
            .findFirst()
            .orElse(null);
    boolean waiting = status != null && status.getNextAttemptTime() != null && latest == fromStatus;
    return new TaskAttempts(latest, latestPod, waiting);
  }

  private static int attemptOf(Pod pod) {
    String label = pod.getMetadata().getLabels().get(PodLabels.ATTEMPT);
    try {
      return label == null ? 0 : Integer.parseInt(label);
    } catch (NumberFormatException e) {
      return 0; // not a pod this operator made
    }
  }
}
