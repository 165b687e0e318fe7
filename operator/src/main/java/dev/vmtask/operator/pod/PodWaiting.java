package dev.vmtask.operator.pod;

import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Why a pod that has not started its agent is still waiting, in the words of whoever holds it up:
 * the scheduler (Unschedulable), the kubelet (a pull or config error), or the node daemon (the
 * image volume: download progress, or why it cannot be mounted). The kubelet reports a volume that
 * is not mounted yet only as a FailedMount event on the pod, so those events are read too.
 */
public final class PodWaiting {
  /** The kubelet's event reason for a volume it could not set up (yet). */
  public static final String FAILED_MOUNT = "FailedMount";

  public static final String UNSCHEDULABLE = "Unschedulable";
  public static final String FETCHING_IMAGE = "FetchingImage";
  public static final String VOLUME_NOT_READY = "VolumeNotReady";

  /** What the node daemon answers while a download runs (ImageVolumeService). */
  private static final String FETCHING = "fetching the image: ";

  private static final String GRPC_DETAIL = "desc = ";

  /** Container waiting reasons that mean "not yet" rather than "cannot". */
  private static final Set<String> STARTING = Set.of("ContainerCreating", "PodInitializing");

  private PodWaiting() {}

  /**
   * A reason fit for a condition (CamelCase), and a message that follows the pod's name in a status
   * ("pod x-1 cannot be scheduled yet: ...").
   */
  public record Waiting(String reason, String message, boolean problem) {
    /**
     * The pod waits for a Secret, ConfigMap or claim that does not exist (or a key it lacks): the
     * words of the kubelet and the scheduler, which name the object.
     */
    public boolean missingInput() {
      return MISSING_INPUT.matcher(message).find();
    }
  }

  private static final Pattern MISSING_INPUT =
      Pattern.compile(
          "(secret|configmap|persistentvolumeclaim) \"[^\"]+\" not found"
              + "|couldn't find key \\S+ in (Secret|ConfigMap)");

  /**
   * Why {@code pod} waits, or empty when nothing holds it up beyond the usual start. {@code events}
   * may hold FailedMount events of any pods; only this pod's count.
   */
  public static Optional<Waiting> of(Pod pod, Collection<Event> events) {
    if (pod.getStatus() == null) {
      return Optional.empty();
    }
    String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
    if (node == null || node.isEmpty()) {
      return unschedulable(pod.getStatus().getConditions());
    }
    Optional<ContainerStateWaiting> agent =
        PodObserver.container(pod.getStatus().getContainerStatuses())
            .map(c -> c.getState() == null ? null : c.getState().getWaiting());
    if (agent.isPresent() && !STARTING.contains(agent.get().getReason())) {
      ContainerStateWaiting w = agent.get();
      return Optional.of(
          new Waiting(
              w.getReason(),
              "cannot start its agent container: "
                  + w.getReason()
                  + PodObserver.suffix(w.getMessage()),
              true));
    }
    return latestMountFailure(pod, events).map(PodWaiting::mountWaiting);
  }

  private static Optional<Waiting> unschedulable(List<PodCondition> conditions) {
    if (conditions == null) {
      return Optional.empty();
    }
    return conditions.stream()
        .filter(c -> "PodScheduled".equals(c.getType()) && "False".equals(c.getStatus()))
        .filter(c -> UNSCHEDULABLE.equals(c.getReason()))
        .findFirst()
        .map(
            c ->
                new Waiting(
                    UNSCHEDULABLE,
                    "cannot be scheduled yet" + PodObserver.suffix(c.getMessage()),
                    true));
  }

  private static Waiting mountWaiting(Event event) {
    String message = event.getMessage() == null ? "" : event.getMessage();
    int fetching = message.indexOf(FETCHING);
    if (fetching >= 0) {
      return new Waiting(
          FETCHING_IMAGE,
          "waits for the node to fetch its image: "
              + message.substring(fetching + FETCHING.length()),
          false);
    }
    // The kubelet wraps the driver's words: MountVolume.SetUp failed ... rpc error: ... desc = X
    int detail = message.lastIndexOf(GRPC_DETAIL);
    String why = detail >= 0 ? message.substring(detail + GRPC_DETAIL.length()) : message;
    return new Waiting(VOLUME_NOT_READY, "cannot mount a volume yet: " + why.strip(), true);
  }

  private static Optional<Event> latestMountFailure(Pod pod, Collection<Event> events) {
    String uid = pod.getMetadata().getUid();
    String name = pod.getMetadata().getName();
    return events.stream()
        .filter(e -> FAILED_MOUNT.equals(e.getReason()))
        .filter(e -> e.getInvolvedObject() != null)
        .filter(
            e ->
                uid != null
                    ? uid.equals(e.getInvolvedObject().getUid())
                    : name.equals(e.getInvolvedObject().getName()))
        .max(Comparator.comparing(PodWaiting::lastSeen));
  }

  /** RFC 3339 times in UTC compare as strings; the newest field the kubelet set wins. */
  private static String lastSeen(Event e) {
    String seen =
        Objects.requireNonNullElse(
            e.getLastTimestamp(),
            e.getSeries() != null && e.getSeries().getLastObservedTime() != null
                ? e.getSeries().getLastObservedTime().getTime()
                : e.getMetadata().getCreationTimestamp());
    return seen == null ? "" : seen;
  }
}
