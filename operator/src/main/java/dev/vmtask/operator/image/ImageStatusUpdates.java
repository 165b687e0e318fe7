package dev.vmtask.operator.image;

import dev.vmtask.api.image.ImageNode;
import dev.vmtask.api.image.ImagePhase;
import dev.vmtask.api.image.VMImageStatus;
import dev.vmtask.operator.Conditions;
import dev.vmtask.operator.pod.TerminationReport;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** The next status of an image, built on a copy of the current one. */
final class ImageStatusUpdates {

  /** Most nodes listed; the least recently seen drop off. */
  static final int MAX_NODES = 100;

  /** lastSeen moves only by at least this much, so busy images do not rewrite status per task. */
  static final Duration LAST_SEEN_GRANULARITY = Duration.ofMinutes(10);

  private static final KubernetesSerialization JSON = new KubernetesSerialization();
  private final VMImageStatus status;
  private final long generation;
  private final Instant now;
  private String reason = "Fetching";

  ImageStatusUpdates(VMImageStatus current, long generation, Instant now) {
    this.status = current == null ? new VMImageStatus() : JSON.clone(current);
    this.generation = generation;
    this.now = now;
  }

  String pinnedDigest() {
    return status.getDigest();
  }

  List<String> nodeNames() {
    return status.getNodes().stream().map(ImageNode::getName).toList();
  }

  ImagePhase phase() {
    return status.getPhase();
  }

  ImageStatusUpdates fetching(String message) {
    status.setPhase(ImagePhase.Pending);
    status.setMessage(message);
    reason = "Fetching";
    return this;
  }

  ImageStatusUpdates ready(TerminationReport.ImageReport image) {
    status.setPhase(ImagePhase.Ready);
    status.setDigest(image.digest());
    status.setShortDigest(shortDigest(image.digest()));
    status.setSizeBytes(image.sizeBytes());
    status.setVirtualSizeBytes(image.virtualSizeBytes());
    status.setMessage("fetched and validated");
    status.setObservedGeneration(generation);
    reason = "Validated";
    return this;
  }

  ImageStatusUpdates failed(String why, String message) {
    status.setPhase(ImagePhase.Failed);
    status.setMessage(message);
    status.setObservedGeneration(generation);
    reason = why;
    return this;
  }

  /** Records that {@code node} held the image at {@code seen}. */
  ImageStatusUpdates seenOn(String node, Instant seen) {
    List<ImageNode> nodes = new ArrayList<>(status.getNodes());
    ImageNode existing =
        nodes.stream().filter(n -> n.getName().equals(node)).findFirst().orElse(null);
    if (existing == null) {
      nodes.add(new ImageNode(node, seen.toString()));
    } else if (Instant.parse(existing.getLastSeen()).plus(LAST_SEEN_GRANULARITY).isBefore(seen)) {
      existing.setLastSeen(seen.toString());
    }
    nodes.sort(Comparator.comparing((ImageNode n) -> Instant.parse(n.getLastSeen())).reversed());
    status.setNodes(new ArrayList<>(nodes.subList(0, Math.min(nodes.size(), MAX_NODES))));
    return this;
  }

  VMImageStatus build() {
    ImagePhase phase = status.getPhase() == null ? ImagePhase.Pending : status.getPhase();
    status.setPhase(phase);
    Conditions.Progress progress =
        switch (phase) {
          case Pending -> Conditions.Progress.IN_PROGRESS;
          case Ready -> Conditions.Progress.DONE;
          case Failed -> Conditions.Progress.FAILED;
        };
    status.setConditions(
        Conditions.putProgress(
            status.getConditions(), progress, reason, status.getMessage(), generation, now));
    return status;
  }

  static String shortDigest(String digest) {
    if (digest == null) {
      return null;
    }
    String hex = digest.startsWith("sha256:") ? digest.substring(7) : digest;
    return hex.substring(0, Math.min(12, hex.length()));
  }
}
