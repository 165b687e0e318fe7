package dev.vmtask.operator.image;

import dev.vmtask.api.image.ImagePhase;
import dev.vmtask.api.image.VMImage;
import dev.vmtask.api.image.VMImageStatus;
import dev.vmtask.api.task.TaskReason;
import dev.vmtask.operator.EventRecorder;
import dev.vmtask.operator.OperatorConfig;
import dev.vmtask.operator.StatusWriter;
import dev.vmtask.operator.pod.FetchPodFactory;
import dev.vmtask.operator.pod.PodCreation;
import dev.vmtask.operator.pod.PodLabels;
import dev.vmtask.operator.pod.PodNames;
import dev.vmtask.operator.pod.PodObservation;
import dev.vmtask.operator.pod.PodObserver;
import dev.vmtask.operator.pod.PodWaiting;
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
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Validates each generation of an image by running a fetch pod on a VM node, pins its digest,
 * prefetches it onto selected nodes, and keeps the list of nodes known to hold it.
 */
@ControllerConfiguration(name = VMImageReconciler.NAME)
public class VMImageReconciler implements Reconciler<VMImage> {
  public static final String NAME = "vmimage";

  /** How often the prefetch node selector is evaluated again, for nodes that joined since. */
  static final Duration PREFETCH_RESCAN = Duration.ofMinutes(5);

  /** Before a fetch pod that lost its node or was evicted is made again. */
  static final Duration FETCH_RETRY = Duration.ofSeconds(30);

  /** When to look again for fetch pods whose outcome has just been written. */
  static final Duration COLLECT_AGAIN = Duration.ofSeconds(2);

  private static final Set<TaskReason> INFRASTRUCTURE_FAILURES =
      Set.of(TaskReason.NodeLost, TaskReason.Evicted);

  private final FetchPodFactory fetchPods;
  private final EventRecorder events;
  private final Clock clock;

  public VMImageReconciler(OperatorConfig config, EventRecorder events, Clock clock) {
    this.fetchPods = new FetchPodFactory(config);
    this.events = events;
    this.clock = clock;
  }

  @Override
  public List<EventSource<?, VMImage>> prepareEventSources(EventSourceContext<VMImage> context) {
    return ImageEventSources.create(context);
  }

  @Override
  public UpdateControl<VMImage> reconcile(VMImage image, Context<VMImage> context) {
    Map<String, Pod> pods = ImageEventSources.pods(image, context);
    long generation = image.getMetadata().getGeneration();
    var next = new ImageStatusUpdates(image.getStatus(), generation, clock.instant());
    Duration recheck = validate(image, pods, next, context);
    recordNodes(pods.values(), next);
    boolean uncollected = cleanUp(image, pods.values(), context);
    if (recheck == null
        && next.phase() == ImagePhase.Ready
        && image.getSpec().getPrefetch() != null) {
      recheck = ImagePrefetch.run(image, pods, next.nodeNames(), fetchPods, context);
    }
    if (uncollected && (recheck == null || recheck.compareTo(COLLECT_AGAIN) > 0)) {
      // Our own status write does not wake us (generation-aware), so come back to collect.
      recheck = COLLECT_AGAIN;
    }
    return write(image, next.build(), context, recheck);
  }

  /** Until this generation has an outcome: run its fetch pod and read the outcome from it. */
  private Duration validate(
      VMImage image, Map<String, Pod> pods, ImageStatusUpdates next, Context<VMImage> context) {
    VMImageStatus status = image.getStatus();
    long generation = image.getMetadata().getGeneration();
    if (status != null
        && Objects.equals(status.getObservedGeneration(), generation)
        && status.getPhase() != ImagePhase.Pending) {
      return null;
    }
    String name = PodNames.fetchPod(image.getMetadata().getName(), generation);
    Pod pod = pods.get(name);
    if (pod == null) {
      PodCreation.Result created =
          PodCreation.create(context.getClient(), fetchPods.validation(image), image);
      switch (created.kind()) {
        case CREATED -> next.fetching("fetch pod " + name + " created");
        case REJECTED -> next.failed(TaskReason.PodRejected.name(), created.message());
        case RETRY -> {
          next.fetching(
              "fetch pod " + name + " could not be created; retrying: " + created.message());
          return FETCH_RETRY;
        }
      }
      return null;
    }
    PodObservation seen = PodObserver.observe(pod);
    if (!seen.finished()) {
      next.fetching(
          PodWaiting.of(pod, context.getSecondaryResources(Event.class))
              .map(w -> "fetch pod " + name + " " + w.message())
              .orElse("fetch pod " + name + " is " + seen.phase()));
      return null;
    }
    PodObservation.Outcome outcome = seen.outcome();
    var report = outcome.report() == null ? null : outcome.report().image();
    if (outcome.succeeded() && report != null && report.digest() != null) {
      String pinned = next.pinnedDigest();
      if (image.getSpec().getSha256() == null
          && pinned != null
          && !pinned.equals(report.digest())) {
        next.failed(
            "DigestChanged",
            "the image's digest changed from the pinned "
                + pinned
                + " to "
                + report.digest()
                + "; recreate the VMImage to accept new content");
      } else {
        next.ready(report);
      }
    } else if (INFRASTRUCTURE_FAILURES.contains(outcome.reason())) {
      context.getClient().resource(pod).delete();
      next.fetching("fetch pod " + name + " failed (" + outcome.reason() + "); retrying");
      return FETCH_RETRY;
    } else {
      String reason = outcome.succeeded() ? TaskReason.AgentError.name() : outcome.reason().name();
      String message =
          outcome.succeeded() ? "the fetch pod reported no image digest" : outcome.message();
      next.failed(reason, message);
    }
    return null;
  }

  /** Nodes where a fetch or a task pod succeeded with the image's current digest. */
  private static void recordNodes(Iterable<Pod> pods, ImageStatusUpdates next) {
    String digest = next.pinnedDigest();
    if (digest == null) {
      return;
    }
    for (Pod pod : pods) {
      PodObservation seen = PodObserver.observe(pod);
      var report =
          seen.finished() && seen.outcome().report() != null
              ? seen.outcome().report().image()
              : null;
      if (seen.outcome() != null
          && seen.outcome().succeeded()
          && seen.nodeName() != null
          && report != null
          && digest.equals(report.digest())) {
        String at = seen.outcome().finishedAt();
        next.seenOn(seen.nodeName(), at == null ? Instant.EPOCH : Instant.parse(at));
      }
    }
  }

  /**
   * Deletes fetch pods whose outcome the status already holds (as read, so never before it is
   * written). Returns whether finished fetch pods remain that a later pass must collect.
   */
  private static boolean cleanUp(VMImage image, Iterable<Pod> pods, Context<VMImage> context) {
    boolean uncollected = false;
    VMImageStatus status = image.getStatus();
    long generation = image.getMetadata().getGeneration();
    for (Pod pod : pods) {
      String role = pod.getMetadata().getLabels().get(PodLabels.ROLE);
      boolean fetch = PodLabels.ROLE_FETCH.equals(role);
      if (!fetch && !PodLabels.ROLE_PREFETCH.equals(role)
          || pod.getMetadata().getDeletionTimestamp() != null) {
        continue;
      }
      String podGeneration = pod.getMetadata().getLabels().get(PodLabels.GENERATION);
      boolean old = !Long.toString(generation).equals(podGeneration);
      PodObservation seen = PodObserver.observe(pod);
      boolean recorded =
          status != null
              && seen.finished()
              && (fetch
                  ? Objects.equals(status.getObservedGeneration(), generation)
                      && status.getPhase() != ImagePhase.Pending
                  : seen.outcome().succeeded()
                      && status.getNodes().stream()
                          .anyMatch(n -> n.getName().equals(seen.nodeName())));
      if (old || recorded) {
        context.getClient().resource(pod).delete();
      } else if (seen.finished() && (fetch || seen.outcome().succeeded())) {
        // Its outcome is being written now; a failed prefetch pod is kept (see ImagePrefetch).
        uncollected = true;
      }
    }
    return uncollected;
  }

  /** The status, written when it changed (see StatusWriter); an event once it is written. */
  private UpdateControl<VMImage> write(
      VMImage image, VMImageStatus status, Context<VMImage> context, Duration recheck) {
    VMImageStatus old = image.getStatus();
    return StatusWriter.write(
        image, status, VMImage::new, context, () -> phaseEvent(image, old, status), recheck);
  }

  private void phaseEvent(VMImage image, VMImageStatus old, VMImageStatus status) {
    if (old != null && old.getPhase() == status.getPhase()) {
      return;
    }
    if (status.getPhase() == ImagePhase.Failed) {
      events.warning(image, "Failed", "Validate", status.getMessage());
    } else {
      events.normal(image, status.getPhase().name(), "Validate", status.getMessage());
    }
  }
}
