package dev.vmtask.operator;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** KEP-1623 conditions whose lastTransitionTime moves only when their status flips. */
public final class Conditions {
  private Conditions() {}

  /** {@code current} with {@code type} set as given; other conditions are kept in order. */
  public static List<Condition> put(
      List<Condition> current,
      String type,
      boolean status,
      String reason,
      String message,
      Long generation,
      Instant now) {
    String value = status ? "True" : "False";
    List<Condition> result = new ArrayList<>();
    boolean replaced = false;
    for (Condition c : current == null ? List.<Condition>of() : current) {
      if (type.equals(c.getType())) {
        String since = value.equals(c.getStatus()) ? c.getLastTransitionTime() : now.toString();
        result.add(condition(type, value, reason, message, generation, since));
        replaced = true;
      } else {
        result.add(c);
      }
    }
    if (!replaced) {
      result.add(condition(type, value, reason, message, generation, now.toString()));
    }
    return result;
  }

  /** How far a primary's work has come, as GitOps tools (kstatus, Argo CD) judge it. */
  public enum Progress {
    IN_PROGRESS,
    DONE,
    FAILED
  }

  public static final String READY = "Ready";
  public static final String RECONCILING = "Reconciling";
  public static final String STALLED = "Stalled";

  /**
   * {@code current} with the conditions kstatus reads: {@code Reconciling} True while work is under
   * way, {@code Stalled} True once it failed for good, and {@code Ready} True once it is done.
   * {@code reason} and {@code message} go on the condition that is True.
   */
  public static List<Condition> putProgress(
      List<Condition> current,
      Progress progress,
      String reason,
      String message,
      Long generation,
      Instant now) {
    List<Condition> c = current;
    c = put(c, READY, progress == Progress.DONE, reason, message, generation, now);
    c =
        put(
            c,
            RECONCILING,
            progress == Progress.IN_PROGRESS,
            progress == Progress.IN_PROGRESS ? reason : "Finished",
            progress == Progress.IN_PROGRESS ? message : "",
            generation,
            now);
    return put(
        c,
        STALLED,
        progress == Progress.FAILED,
        progress == Progress.FAILED ? reason : "NotStalled",
        progress == Progress.FAILED ? message : "",
        generation,
        now);
  }

  public static Optional<Condition> find(List<Condition> conditions, String type) {
    return conditions == null
        ? Optional.empty()
        : conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  public static boolean isTrue(List<Condition> conditions, String type) {
    return find(conditions, type).filter(c -> "True".equals(c.getStatus())).isPresent();
  }

  private static Condition condition(
      String type, String status, String reason, String message, Long generation, String since) {
    return new ConditionBuilder()
        .withType(type)
        .withStatus(status)
        .withReason(reason)
        .withMessage(message == null ? "" : message)
        .withObservedGeneration(generation)
        .withLastTransitionTime(since)
        .build();
  }
}
