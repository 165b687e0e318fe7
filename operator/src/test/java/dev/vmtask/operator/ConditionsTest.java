package dev.vmtask.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class ConditionsTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Instant T1 = Instant.parse("2026-01-01T00:05:00Z");

  @Test
  void lastTransitionTimeMovesOnlyWhenStatusFlips() {
    var c = Conditions.put(null, "Ready", false, "Fetching", "a", 1L, T0);
    c = Conditions.put(c, "Ready", false, "Fetching", "b", 2L, T1);
    assertThat(c)
        .singleElement()
        .satisfies(
            x -> {
              assertThat(x.getLastTransitionTime()).isEqualTo(T0.toString());
              assertThat(x.getMessage()).isEqualTo("b");
              assertThat(x.getObservedGeneration()).isEqualTo(2L);
            });
    c = Conditions.put(c, "Ready", true, "Validated", "ok", 2L, T1);
    assertThat(c.get(0).getLastTransitionTime()).isEqualTo(T1.toString());
    assertThat(c.get(0).getStatus()).isEqualTo("True");
    assertThat(Conditions.isTrue(c, "Ready")).isTrue();
  }

  @Test
  void otherConditionsKeepTheirPlace() {
    var c = Conditions.put(null, "A", true, "r", "m", 1L, T0);
    c = Conditions.put(c, "B", false, "r", "m", 1L, T0);
    c = Conditions.put(c, "A", false, "r", "m", 1L, T1);
    assertThat(c).extracting("type").containsExactly("A", "B");
  }
}
