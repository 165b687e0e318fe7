package dev.vmtask.operator.task;

import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.api.task.VirtualMachineTaskStatus;
import dev.vmtask.operator.EventRecorder;
import dev.vmtask.operator.OperatorConfig;
import dev.vmtask.operator.StatusWriter;
import dev.vmtask.operator.pod.PodObservation;
import dev.vmtask.operator.pod.PodObserver;
import dev.vmtask.operator.pod.PodWaiting;
import dev.vmtask.operator.pod.TaskPodFactory;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Drives a task through its phases: observe its pod, decide the next status, act (create a pod,
 * wait, delete the finished task). One pod per attempt, named deterministically, so a restart of
 * the operator can only ever find the pod it made before.
 */
@ControllerConfiguration(name = VirtualMachineTaskReconciler.NAME)
public class VirtualMachineTaskReconciler implements Reconciler<VirtualMachineTask> {
  public static final String NAME = "virtualmachinetask";

  private final OperatorConfig config;
  private final AttemptStart attemptStart;
  private final EventRecorder events;
  private final TaskMetrics metrics;
  private final Clock clock;

  public VirtualMachineTaskReconciler(
      OperatorConfig config, EventRecorder events, MeterRegistry registry, Clock clock) {
    this.config = config;
    this.attemptStart = new AttemptStart(config, new TaskPodFactory(config));
    this.events = events;
    this.metrics = new TaskMetrics(registry);
    this.clock = clock;
  }

  @Override
  public List<EventSource<?, VirtualMachineTask>> prepareEventSources(
      EventSourceContext<VirtualMachineTask> context) {
    metrics.watchPhases(context.getPrimaryCache());
    return TaskEventSources.create(context, config);
  }

  @Override
  public UpdateControl<VirtualMachineTask> reconcile(
      VirtualMachineTask task, Context<VirtualMachineTask> context) {
    TaskAttempts attempts = TaskAttempts.of(task, context.getSecondaryResources(Pod.class));
    VirtualMachineTaskStatus current = task.getStatus();
    TaskPhase phase =
        current == null || current.getPhase() == null ? TaskPhase.Pending : current.getPhase();
    Instant now = clock.instant();
    var next = new TaskStatusUpdates(current, task.getMetadata().getGeneration(), now);
    var deadline = TaskDeadline.of(task).filter(d -> !phase.isFinished());
    Duration recheck;
    if (deadline.isPresent() && deadline.get().passed(now)) {
      recheck = expired(task, attempts, deadline.get(), phase, next, context);
    } else {
      recheck =
          switch (phase) {
            case Pending -> pending(task, attempts, next, context);
            case Scheduled, Booting, Running -> active(task, attempts, next, context);
            case Succeeded, Failed -> finished(task, next, context);
          };
    }
    if (next.phase().isFinished() && !phase.isFinished()) {
      recheck = TaskTtl.of(task); // it finished now, with or without a pod
      Duration publishAgain = OutputPublication.publish(task, next, context.getClient());
      recheck = publishAgain != null ? publishAgain : recheck;
    } else if (deadline.isPresent()) {
      recheck = deadline.get().sooner(recheck, now);
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
      return attemptStart.start(task, attempts.latest() + 1, next, context);
    }
    if (attempts.latest() == 0 || attempts.latestPod() == null) {
      return attemptStart.start(task, Math.max(1, attempts.latest()), next, context);
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
      return ended(task, PodObserver.vanished(task.getStatus().getPodName()), next);
    }
    return observe(task, attempts.latest(), pod, next, context);
  }

  /** Past the task's deadline: its pod goes, whatever it was doing, and the task fails. */
  private Duration expired(
      VirtualMachineTask task,
      TaskAttempts attempts,
      TaskDeadline deadline,
      TaskPhase phase,
      TaskStatusUpdates next,
      Context<VirtualMachineTask> context) {
    if (attempts.latestPod() != null) {
      context.getClient().resource(attempts.latestPod()).delete();
    }
    next.finished(deadline.outcome(phase.name(), clock.instant()), task.getSpec());
    return null;
  }

  /** Publish the output's VMImage if due; delete the task once its TTL has passed. */
  private Duration finished(
      VirtualMachineTask task, TaskStatusUpdates next, Context<VirtualMachineTask> context) {
    Duration publishAgain = OutputPublication.publish(task, next, context.getClient());
    if (publishAgain != null) {
      return publishAgain; // the TTL waits for the image, whose archive the task points at
    }
    Duration left = TaskTtl.left(task, clock.instant());
    if (left == null || (!left.isNegative() && !left.isZero())) {
      return left;
    }
    context.getClient().resource(task).delete();
    return null;
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
      Duration recheck = ended(task, seen.outcome(), next.onNode(seen.nodeName()));
      next.startedIn(PodObserver.startMillis(pod));
      return recheck;
    }
    var waiting = PodWaiting.of(pod, context.getSecondaryResources(Event.class));
    Duration grace = Duration.ofSeconds(config.missingInputGraceSeconds());
    var left = MissingInputs.graceLeft(pod, waiting, grace, clock.instant());
    if (left.isPresent() && (left.get().isNegative() || left.get().isZero())) {
      context.getClient().resource(pod).delete();
      return ended(
          task,
          PodObserver.missingInput(
              pod.getMetadata().getName(), waiting.get().message(), grace.toSeconds()),
          next);
    }
    next.observed(seen, waiting, task.getSpec().getKeepFailedVMSeconds());
    return left.orElse(null);
  }

  /** Succeed, fail for good, or schedule the next attempt after its backoff. */
  private Duration ended(
      VirtualMachineTask task, PodObservation.Outcome outcome, TaskStatusUpdates next) {
    int attempt = Math.max(1, next.attempts());
    if (outcome.succeeded() || !RetryBackoff.retries(task.getSpec(), outcome, attempt)) {
      next.finished(outcome, task.getSpec());
      return null;
    }
    Instant at = RetryBackoff.nextAttempt(outcome, attempt, clock.instant());
    next.retrying(outcome, task.getSpec(), at);
    Duration wait = Duration.between(clock.instant(), at);
    return wait.isNegative() ? Duration.ofMillis(1) : wait;
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
        () -> {
          StatusChange change = new StatusChange(old, status);
          TaskEvents.transition(events, task, change);
          metrics.transition(change);
        },
        recheck);
  }
}
