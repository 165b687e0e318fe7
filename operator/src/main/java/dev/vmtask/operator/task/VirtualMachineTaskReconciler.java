package dev.vmtask.operator.task;

import dev.vmtask.api.image.ImagePhase;
import dev.vmtask.api.image.VMImage;
import dev.vmtask.api.machine.Machine;
import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.TaskReason;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.api.task.VirtualMachineTaskStatus;
import dev.vmtask.operator.EventRecorder;
import dev.vmtask.operator.OperatorConfig;
import dev.vmtask.operator.StatusWriter;
import dev.vmtask.operator.pod.AccelerationPlan;
import dev.vmtask.operator.pod.PodCreation;
import dev.vmtask.operator.pod.PodObservation;
import dev.vmtask.operator.pod.PodObserver;
import dev.vmtask.operator.pod.PodWaiting;
import dev.vmtask.operator.pod.ResolvedMachine;
import dev.vmtask.operator.pod.TaskPodFactory;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Drives a task through its phases: observe its pod, decide the next status, act (create a pod,
 * wait, delete the finished task). One pod per attempt, named deterministically, so a restart of
 * the operator can only ever find the pod it made before.
 */
@ControllerConfiguration(name = VirtualMachineTaskReconciler.NAME)
public class VirtualMachineTaskReconciler implements Reconciler<VirtualMachineTask> {
  public static final String NAME = "virtualmachinetask";

  private final OperatorConfig config;
  private final TaskPodFactory pods;
  private final EventRecorder events;
  private final Clock clock;

  public VirtualMachineTaskReconciler(OperatorConfig config, EventRecorder events, Clock clock) {
    this.config = config;
    this.pods = new TaskPodFactory(config);
    this.events = events;
    this.clock = clock;
  }

  @Override
  public List<EventSource<?, VirtualMachineTask>> prepareEventSources(
      EventSourceContext<VirtualMachineTask> context) {
    return TaskEventSources.create(context, config);
  }

  @Override
  public UpdateControl<VirtualMachineTask> reconcile(
      VirtualMachineTask task, Context<VirtualMachineTask> context) {
    TaskAttempts attempts = TaskAttempts.of(task, context.getSecondaryResources(Pod.class));
    VirtualMachineTaskStatus current = task.getStatus();
    TaskPhase phase =
        current == null || current.getPhase() == null ? TaskPhase.Pending : current.getPhase();
    var next = new TaskStatusUpdates(current, task.getMetadata().getGeneration(), clock.instant());
    Duration recheck =
        switch (phase) {
          case Pending -> pending(task, attempts, next, context);
          case Scheduled, Booting, Running -> active(task, attempts, next, context);
          case Succeeded, Failed -> finished(task, context);
        };
    if (!phase.isFinished() && next.phase().isFinished()) {
      recheck = ttl(task); // it finished now, with or without a pod
    }
    return write(task, next.build(), context, recheck);
  }

  /** No pod yet, a pod not scheduled yet, or a retry waiting out its backoff. */
  private Duration pending(
      VirtualMachineTask task,
      TaskAttempts attempts,
      TaskStatusUpdates next,
      Context<VirtualMachineTask> context) {
    if (attempts.waitingToRetry()) {
      Instant at = Instant.parse(task.getStatus().getNextAttemptTime());
      if (clock.instant().isBefore(at)) {
        next.backingOff();
        return Duration.between(clock.instant(), at);
      }
      return start(task, attempts.latest() + 1, next, context);
    }
    if (attempts.latest() == 0 || attempts.latestPod() == null) {
      return start(task, Math.max(1, attempts.latest()), next, context);
    }
    return observe(task, attempts.latest(), attempts.latestPod(), next, context);
  }

  /** The pod was seen scheduled: follow it; if it vanished, its node (or someone) took it. */
  private Duration active(
      VirtualMachineTask task,
      TaskAttempts attempts,
      TaskStatusUpdates next,
      Context<VirtualMachineTask> context) {
    Pod pod = attempts.latestPod();
    if (pod == null) {
      var lost =
          new PodObservation.Outcome(
              PodObserver.AGENT_FAILURE_EXIT,
              TaskReason.NodeLost,
              "pod " + task.getStatus().getPodName() + " disappeared before it finished",
              null,
              null);
      return ended(task, lost, next);
    }
    return observe(task, attempts.latest(), pod, next, context);
  }

  /** Delete the task once its TTL has passed. */
  private Duration finished(VirtualMachineTask task, Context<VirtualMachineTask> context) {
    Long ttl = task.getSpec().getTtlSecondsAfterFinished();
    String completed = task.getStatus().getCompletionTime();
    if (ttl == null || completed == null) {
      return null;
    }
    Duration left = Duration.between(clock.instant(), Instant.parse(completed).plusSeconds(ttl));
    if (!left.isNegative() && !left.isZero()) {
      return left;
    }
    context.getClient().resource(task).delete();
    return null;
  }

  private Duration start(
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

  private Duration observe(
      VirtualMachineTask task,
      int attempt,
      Pod pod,
      TaskStatusUpdates next,
      Context<VirtualMachineTask> context) {
    // The read status may predate this pod (a write not yet in the cache): the pod decides.
    next.onAttempt(attempt, pod);
    PodObservation seen = PodObserver.observe(pod);
    if (seen.finished()) {
      return ended(task, seen.outcome(), next.onNode(seen.nodeName()));
    }
    next.observed(seen, PodWaiting.of(pod, context.getSecondaryResources(Event.class)));
    return null;
  }

  /** Succeed, fail for good, or schedule the next attempt after its backoff. */
  private Duration ended(
      VirtualMachineTask task, PodObservation.Outcome outcome, TaskStatusUpdates next) {
    int attempt = Math.max(1, next.attempts());
    int limit = task.getSpec().getBackoffLimit() == null ? 0 : task.getSpec().getBackoffLimit();
    if (!outcome.succeeded() && outcome.reason().isRetryable() && attempt <= limit) {
      Instant failedAt =
          outcome.finishedAt() == null ? clock.instant() : Instant.parse(outcome.finishedAt());
      Instant at = failedAt.plus(RetryBackoff.after(attempt));
      next.retrying(outcome, task.getSpec(), at);
      return Duration.between(clock.instant(), at).isNegative()
          ? Duration.ofMillis(1)
          : Duration.between(clock.instant(), at);
    }
    next.finished(outcome, task.getSpec());
    return null;
  }

  private static Duration ttl(VirtualMachineTask task) {
    Long ttl = task.getSpec().getTtlSecondsAfterFinished();
    return ttl == null ? null : Duration.ofSeconds(Math.max(ttl, 1));
  }

  /** The status, written when it changed (see StatusWriter); events once it is written. */
  private UpdateControl<VirtualMachineTask> write(
      VirtualMachineTask task,
      VirtualMachineTaskStatus status,
      Context<VirtualMachineTask> context,
      Duration recheck) {
    VirtualMachineTaskStatus old = task.getStatus();
    return StatusWriter.write(
        task,
        status,
        VirtualMachineTask::new,
        context,
        () -> TaskEvents.transition(events, task, old, status),
        recheck);
  }
}
