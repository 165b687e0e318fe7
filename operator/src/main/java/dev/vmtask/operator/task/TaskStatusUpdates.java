package dev.vmtask.operator.task;

import dev.vmtask.api.image.GuestAgentMode;
import dev.vmtask.api.task.Artifact;
import dev.vmtask.api.task.ArtifactResult;
import dev.vmtask.api.task.ArtifactVolume;
import dev.vmtask.api.task.OutputResult;
import dev.vmtask.api.task.Screenshot;
import dev.vmtask.api.task.TaskOutput;
import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.TaskReason;
import dev.vmtask.api.task.Timings;
import dev.vmtask.api.task.VirtualMachineTaskSpec;
import dev.vmtask.api.task.VirtualMachineTaskStatus;
import dev.vmtask.operator.Conditions;
import dev.vmtask.operator.pod.AccelerationPlan;
import dev.vmtask.operator.pod.PodCreation;
import dev.vmtask.operator.pod.PodObservation;
import dev.vmtask.operator.pod.PodWaiting;
import dev.vmtask.operator.pod.TerminationReport;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The next status of a task, built on a copy of the current one. Each method is one kind of
 * transition; conditions follow from the phase, so they can never disagree with it.
 */
final class TaskStatusUpdates {
  static final String SCHEDULED = "Scheduled";
  static final String RUNNING = "Running";
  static final String COMPLETE = "Complete";
  static final String FAILED = "Failed";
  static final String POD_CREATE_FAILED = "PodCreateFailed";
  static final String INSPECTING = "Inspecting";
  static final String IMAGE_PUBLISHED = "ImagePublished";
  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  private final VirtualMachineTaskStatus status;
  private final long generation;
  private final Instant now;

  /** The phase and attempt as read, before this reconcile. */
  private final TaskPhase readPhase;

  private final int readAttempts;

  /** Why a task without a running agent waits; null for the phase's usual wait. */
  private String waitReason;

  /** Why the latest try to create the attempt's pod was refused; null if it was not. */
  private String createRefusal;

  private boolean podCreated;

  /** Why publishing the output's VMImage was refused; null if it was not. */
  private String publishRefusal;

  private boolean published;

  /** The attempt's command failed and its VM is kept for inspection (spec.keepFailedVMSeconds). */
  private boolean inspecting;

  TaskStatusUpdates(VirtualMachineTaskStatus current, long generation, Instant now) {
    this.status = current == null ? new VirtualMachineTaskStatus() : JSON.clone(current);
    this.readPhase = phase();
    this.readAttempts = attempts();
    this.generation = generation;
    this.now = now;
  }

  /** Pending without a pod: {@code reason} says what the task waits for. */
  TaskStatusUpdates waiting(String reason, String message) {
    status.setPhase(TaskPhase.Pending);
    status.setMessage(message);
    waitReason = reason;
    return this;
  }

  /**
   * The API server refused the attempt's pod for now; returns when to try again, later the longer
   * refusals have lasted.
   */
  Duration createRefused(String podName, String message) {
    status.setPhase(TaskPhase.Pending);
    status.setMessage("pod " + podName + " could not be created; retrying: " + message);
    waitReason = "FailedCreate";
    createRefusal = message;
    Instant since =
        Conditions.find(status.getConditions(), POD_CREATE_FAILED)
            .filter(c -> "True".equals(c.getStatus()))
            .map(c -> Instant.parse(c.getLastTransitionTime()))
            .orElse(now);
    return PodCreation.retryAfter(Duration.between(since, now));
  }

  /** Still waiting out a retry's backoff: the status says so, whatever woke the task. */
  TaskStatusUpdates backingOff() {
    waitReason = "BackoffWait";
    return this;
  }

  TaskPhase phase() {
    return status.getPhase() == null ? TaskPhase.Pending : status.getPhase();
  }

  TaskStatusUpdates podCreated(String podName, int attempt) {
    podCreated = true;
    status.setPhase(TaskPhase.Pending);
    status.setAttempts(attempt);
    status.setPodName(podName);
    status.setNodeName(null);
    status.setNextAttemptTime(null);
    status.setExitCode(null);
    status.setReason(null);
    status.setArtifacts(null);
    status.setScreenshot(null);
    status.setTimings(null);
    status.setAcceleration(null);
    status.setAccelerationMessage(null);
    if (status.getStartTime() == null) {
      status.setStartTime(now.toString());
    }
    // The same words as observed(Pending), so seeing the new pod costs no second write.
    status.setMessage(waitingForNode(podName));
    return this;
  }

  /**
   * True when the plan makes no pod: waiting for a node's KVM verdict (a node change wakes the
   * task), or failed because no VM node can offer KVM.
   */
  boolean heldBack(AccelerationPlan plan) {
    switch (plan.kind()) {
      case WAIT_FOR_VERDICT -> waiting(TaskEventSources.KVM_VERDICT_PENDING, plan.message());
      case KVM_UNAVAILABLE -> failedBeforePod(TaskReason.KvmUnavailable, plan.message());
      default -> {
        return false;
      }
    }
    return true;
  }

  /** What the new attempt's acceleration will be, and why; the agent's report has the last word. */
  TaskStatusUpdates planned(AccelerationPlan plan) {
    status.setAcceleration(plan.kind() == AccelerationPlan.Kind.KVM_DEVICE ? "kvm" : "tcg");
    status.setAccelerationMessage(plan.message());
    return this;
  }

  private static String waitingForNode(String podName) {
    return "pod " + podName + " is waiting for a node";
  }

  /**
   * A pod that has not finished: Pending, Scheduled, Booting or Running. {@code waiting} says what
   * holds a pod that has no running agent yet (the scheduler, the kubelet, the image download).
   */
  TaskStatusUpdates observed(
      PodObservation pod, Optional<PodWaiting.Waiting> waiting, Integer keepFailedVMSeconds) {
    // Within one attempt a phase never goes back: a readiness flap does not undo Running.
    TaskPhase phase =
        attempts() == readAttempts && readPhase.compareTo(pod.phase()) > 0
            ? readPhase
            : pod.phase();
    // The agent turns its pod unready when it keeps a failed command's VM.
    inspecting = keepFailedVMSeconds != null && keepFailedVMSeconds > 0 && pod.readinessDropped();
    status.setPhase(phase);
    if (pod.nodeName() != null) {
      status.setNodeName(pod.nodeName());
    }
    String podName = status.getPodName();
    status.setMessage(
        switch (phase) {
          case Pending ->
              waiting
                  .map(w -> "pod " + podName + " " + w.message())
                  .orElse(waitingForNode(podName));
          case Scheduled ->
              waiting
                  .map(w -> "pod " + podName + " " + w.message())
                  .orElse("pod " + podName + " is starting on " + pod.nodeName());
          case Booting -> "the agent is booting the VM";
          default ->
              inspecting
                  ? "the guest command failed; its VM is kept for inspection for up to "
                      + keepFailedVMSeconds
                      + " s (kubectl vmtask shell)"
                  : "the guest is running the command";
        });
    if (phase == TaskPhase.Pending || phase == TaskPhase.Scheduled) {
      waiting.ifPresent(w -> waitReason = w.reason());
    }
    return this;
  }

  /** The attempt {@code pod} belongs to, in case the status read did not show it yet. */
  TaskStatusUpdates onAttempt(int attempt, Pod pod) {
    if (status.getAttempts() == null || status.getAttempts() < attempt) {
      status.setAttempts(attempt);
      status.setNextAttemptTime(null);
    }
    status.setPodName(pod.getMetadata().getName());
    if (status.getStartTime() == null) {
      String created = pod.getMetadata().getCreationTimestamp();
      status.setStartTime(created != null ? created : now.toString());
    }
    return this;
  }

  int attempts() {
    return status.getAttempts() == null ? 0 : status.getAttempts();
  }

  /** Records the pod's node, if it got one. */
  TaskStatusUpdates onNode(String nodeName) {
    if (nodeName != null) {
      status.setNodeName(nodeName);
    }
    return this;
  }

  /** The attempt ended and the task with it. */
  TaskStatusUpdates finished(PodObservation.Outcome outcome, VirtualMachineTaskSpec spec) {
    record(outcome, spec);
    status.setPhase(outcome.succeeded() ? TaskPhase.Succeeded : TaskPhase.Failed);
    status.setNextAttemptTime(null);
    status.setCompletionTime(outcome.finishedAt() != null ? outcome.finishedAt() : now.toString());
    return this;
  }

  /** Failed without a pod ever being made (image failed, machine invalid). */
  TaskStatusUpdates failedBeforePod(TaskReason reason, String message) {
    status.setPhase(TaskPhase.Failed);
    status.setReason(reason);
    status.setMessage(message);
    status.setExitCode(null);
    status.setCompletionTime(now.toString());
    return this;
  }

  /** The attempt failed and another one starts at {@code next}. */
  TaskStatusUpdates retrying(
      PodObservation.Outcome outcome, VirtualMachineTaskSpec spec, Instant next) {
    record(outcome, spec);
    status.setPhase(TaskPhase.Pending);
    status.setNextAttemptTime(next.toString());
    status.setMessage(
        "attempt "
            + status.getAttempts()
            + " failed ("
            + outcome.reason()
            + ": "
            + outcome.message()
            + "); attempt "
            + (status.getAttempts() + 1)
            + " starts at "
            + next);
    waitReason = "BackoffWait";
    return this;
  }

  VirtualMachineTaskStatus build() {
    status.setObservedGeneration(generation);
    TaskPhase phase = status.getPhase() == null ? TaskPhase.Pending : status.getPhase();
    boolean scheduled = status.getNodeName() != null && phase != TaskPhase.Pending;
    String failure =
        phase == TaskPhase.Failed && status.getReason() != null
            ? status.getReason().name()
            : "NotFailed";
    var c = status.getConditions();
    c =
        Conditions.put(
            c,
            SCHEDULED,
            scheduled,
            scheduled ? "PodScheduled" : Objects.requireNonNullElse(waitReason, "PodPending"),
            scheduled ? "on node " + status.getNodeName() : status.getMessage(),
            generation,
            now);
    c =
        Conditions.put(
            c,
            RUNNING,
            phase == TaskPhase.Running,
            phase == TaskPhase.Running
                ? "GuestRunning"
                : scheduled && waitReason != null ? waitReason : phase.name(),
            status.getMessage(),
            generation,
            now);
    c =
        Conditions.put(
            c,
            COMPLETE,
            phase == TaskPhase.Succeeded,
            phase == TaskPhase.Succeeded ? "Completed" : "NotCompleted",
            status.getMessage(),
            generation,
            now);
    c =
        Conditions.put(
            c, FAILED, phase == TaskPhase.Failed, failure, status.getMessage(), generation, now);
    c =
        Conditions.putProgress(
            c,
            phase == TaskPhase.Succeeded
                ? Conditions.Progress.DONE
                : phase == TaskPhase.Failed
                    ? Conditions.Progress.FAILED
                    : Conditions.Progress.IN_PROGRESS,
            phase == TaskPhase.Failed ? failure : phase.name(),
            status.getMessage(),
            generation,
            now);
    // Only for tasks that kept a VM: True while it is kept, False once the attempt ended.
    if (inspecting || Conditions.find(c, INSPECTING).isPresent()) {
      c =
          Conditions.put(
              c,
              INSPECTING,
              inspecting,
              inspecting ? "KeptForInspection" : "NotInspecting",
              inspecting ? status.getMessage() : "the VM is not kept for inspection",
              generation,
              now);
    }
    // Only once a creation was refused: True while refusals last, False from the next pod on.
    if (createRefusal != null || podCreated && Conditions.find(c, POD_CREATE_FAILED).isPresent()) {
      c =
          Conditions.put(
              c,
              POD_CREATE_FAILED,
              createRefusal != null,
              createRefusal != null ? "FailedCreate" : "PodCreated",
              createRefusal != null ? createRefusal : "pod " + status.getPodName() + " created",
              generation,
              now);
    }
    // Only for tasks whose output names a VMImage, once publishing was tried.
    if (publishRefusal != null || published) {
      c =
          Conditions.put(
              c,
              IMAGE_PUBLISHED,
              published,
              published ? "Published" : "PublishFailed",
              published
                  ? "VMImage " + status.getOutput().getImage() + " points at the task's output"
                  : publishRefusal,
              generation,
              now);
    }
    status.setConditions(c);
    return status;
  }

  private void record(PodObservation.Outcome outcome, VirtualMachineTaskSpec spec) {
    status.setExitCode(outcome.exitCode());
    status.setReason(outcome.reason());
    status.setMessage(outcome.message());
    TerminationReport report = outcome.report();
    if (report != null) {
      if ("kvm".equals(status.getAcceleration()) && "tcg".equals(report.acceleration())) {
        status.setAccelerationMessage(
            "tcg: KVM failed under the guest on a node whose verdict had proved it, so the"
                + " attempt went on under tcg (see message)");
      }
      status.setAcceleration(report.acceleration());
      status.setArtifacts(artifacts(report, spec));
      status.setScreenshot(screenshot(report.screenshot(), spec.getScreenshot()));
      status.setTimings(timings(report.timings()));
      status.setOutput(outcome.succeeded() ? output(report.output(), spec.getOutput()) : null);
    }
  }

  /** Where the agent wrote the image archive, relative to the claim. */
  private static OutputResult output(TerminationReport.OutputReport report, TaskOutput requested) {
    if (report == null || requested == null || report.sha256() == null) {
      return null;
    }
    OutputResult r = new OutputResult();
    r.setClaimName(requested.getVolume().getClaimName());
    String file = requested.getFileName() == null ? "image.tar.zst" : requested.getFileName();
    String sub = requested.getVolume().getSubPath();
    r.setPath(sub == null || sub.isEmpty() ? file : sub.replaceAll("/+$", "") + "/" + file);
    r.setSizeBytes(report.sizeBytes());
    r.setSha256(report.sha256());
    r.setVirtualSizeBytes(report.virtualSizeBytes());
    r.setGuestAgent(
        "CloudInit".equals(report.guestAgent())
            ? GuestAgentMode.CLOUD_INIT
            : GuestAgentMode.PREINSTALLED);
    return r;
  }

  /** The output the attempt wrote, as the next status says. */
  OutputResult output() {
    return status.getOutput();
  }

  /** The output's VMImage now points at the archive. */
  TaskStatusUpdates outputPublished(String image) {
    status.getOutput().setImage(image);
    publishRefusal = null;
    published = true;
    return this;
  }

  /** Creating or updating the output's VMImage was refused; tried again later. */
  TaskStatusUpdates outputRefused(String message) {
    publishRefusal = message;
    return this;
  }

  private static List<ArtifactResult> artifacts(
      TerminationReport report, VirtualMachineTaskSpec spec) {
    if (report.artifacts() == null || spec.getArtifacts() == null) {
      return null;
    }
    List<ArtifactResult> results = new ArrayList<>();
    for (TerminationReport.ArtifactReport a : report.artifacts()) {
      Artifact declared =
          spec.getArtifacts().stream()
              .filter(d -> d.getName().equals(a.name()))
              .findFirst()
              .orElse(null);
      if (declared == null) {
        continue; // the agent reported an artifact the task never asked for
      }
      results.add(stored(a.name(), a, declared.getVolume()));
    }
    return results;
  }

  private static ArtifactResult screenshot(
      TerminationReport.ArtifactReport report, Screenshot requested) {
    if (report == null || requested == null) {
      return null;
    }
    return stored("screenshot", report, requested.getVolume());
  }

  /** Where the agent stored a file: its path in the container made relative to the claim. */
  private static ArtifactResult stored(
      String name, TerminationReport.ArtifactReport a, ArtifactVolume volume) {
    ArtifactResult r = new ArtifactResult();
    r.setName(name);
    r.setSizeBytes(a.sizeBytes());
    r.setSha256(a.sha256());
    r.setClaimName(volume.getClaimName());
    String sub = volume.getSubPath();
    r.setPath(sub == null || sub.isEmpty() ? a.path() : sub.replaceAll("/+$", "") + "/" + a.path());
    return r;
  }

  /** The attempt's start, as its pod shows it (see PodObserver.startMillis). */
  TaskStatusUpdates startedIn(Long millis) {
    if (millis != null) {
      if (status.getTimings() == null) {
        status.setTimings(new Timings());
      }
      status.getTimings().setStartMs(millis);
    }
    return this;
  }

  private static Timings timings(TerminationReport.TimingsReport t) {
    if (t == null) {
      return null;
    }
    Timings timings = new Timings();
    timings.setImageMs(t.imageMs());
    timings.setBootMs(t.bootMs());
    timings.setCommandMs(t.commandMs());
    timings.setTotalMs(t.totalMs());
    return timings;
  }
}
