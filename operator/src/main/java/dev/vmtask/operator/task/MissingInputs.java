package dev.vmtask.operator.task;

import dev.vmtask.operator.pod.PodWaiting;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A pod held up by a Secret, ConfigMap or claim that does not exist fails its attempt once a grace
 * has passed since the pod was created: GitOps tools may apply the input a little after the task,
 * but a task never waits for one until its deadline.
 */
final class MissingInputs {
  private MissingInputs() {}

  /**
   * Empty when nothing is missing; else the time left of the grace, zero or negative once it is up.
   */
  static Optional<Duration> graceLeft(
      Pod pod, Optional<PodWaiting.Waiting> waiting, Duration grace, Instant now) {
    if (waiting.isEmpty() || !waiting.get().missingInput()) {
      return Optional.empty();
    }
    String created = pod.getMetadata().getCreationTimestamp();
    Instant since = created == null ? now : Instant.parse(created);
    return Optional.of(grace.minus(Duration.between(since, now)));
  }
}
