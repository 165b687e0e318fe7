package dev.vmtask.operator.task;

import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.api.task.VirtualMachineTaskStatus;
import dev.vmtask.operator.Conditions;
import dev.vmtask.operator.EventRecorder;
import dev.vmtask.operator.pod.PodWaiting;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.Set;

/**
 * One Event per phase change (and per new attempt), with the reason when there is one; and one per
 * change of what a waiting task waits for (the scheduler, a download, a volume, the kubelet).
 */
final class TaskEvents {
  /** Waits that are progress, not trouble. */
  private static final Set<String> NORMAL_WAITS =
      Set.of(PodWaiting.FETCHING_IMAGE, "ImageNotReady", TaskEventSources.KVM_VERDICT_PENDING);

  /** The phase's usual wait, and waits that have an event of their own. */
  private static final Set<String> QUIET_WAITS = Set.of("PodPending", "Scheduled", "BackoffWait");

  private TaskEvents() {}

  static void transition(EventRecorder events, VirtualMachineTask task, StatusChange change) {
    VirtualMachineTaskStatus next = change.next();
    if (change.phaseChanged() || change.newAttempt() || change.newRetry()) {
      String reason = next.getReason() == null ? next.getPhase().name() : next.getReason().name();
      String note = next.getPhase() + ": " + next.getMessage();
      if (next.getPhase() == TaskPhase.Failed || change.newRetry()) {
        events.warning(task, reason, next.getPhase().name(), note);
      } else {
        events.normal(task, reason, next.getPhase().name(), note);
      }
    }
    waitChanged(events, task, change.old(), next);
  }

  private static void waitChanged(
      EventRecorder events,
      VirtualMachineTask task,
      VirtualMachineTaskStatus old,
      VirtualMachineTaskStatus next) {
    String reason = waitReason(next);
    if (reason == null || QUIET_WAITS.contains(reason) || reason.equals(waitReason(old))) {
      return;
    }
    if (NORMAL_WAITS.contains(reason)) {
      events.normal(task, reason, "Wait", next.getMessage());
    } else {
      events.warning(task, reason, "Wait", next.getMessage());
    }
  }

  /** What the condition of the step a task waits for says: scheduling, or its agent starting. */
  private static String waitReason(VirtualMachineTaskStatus status) {
    if (status == null || status.getPhase() == null) {
      return null;
    }
    String type =
        switch (status.getPhase()) {
          case Pending -> TaskStatusUpdates.SCHEDULED;
          case Scheduled -> TaskStatusUpdates.RUNNING;
          default -> null;
        };
    if (type == null) {
      return null;
    }
    return Conditions.find(status.getConditions(), type)
        .filter(c -> "False".equals(c.getStatus()))
        .map(Condition::getReason)
        .orElse(null);
  }
}
