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

  public static Optional<Condition> find(List<Condition> conditions, String type) {
    return conditions == null
        ? Optional.empty()
        : conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  public static boolean isTrue(List<Condition> conditions, String type) {
    return conditions != null
        && conditions.stream()
            .anyMatch(c -> type.equals(c.getType()) && "True".equals(c.getStatus()));
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
