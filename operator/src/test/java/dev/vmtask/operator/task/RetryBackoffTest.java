package dev.vmtask.operator.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryBackoffTest {
  @Test
  void doublesFromTenSecondsAndCapsAtFiveMinutes() {
    assertThat(RetryBackoff.after(1)).isEqualTo(Duration.ofSeconds(10));
    assertThat(RetryBackoff.after(2)).isEqualTo(Duration.ofSeconds(20));
    assertThat(RetryBackoff.after(3)).isEqualTo(Duration.ofSeconds(40));
    assertThat(RetryBackoff.after(5)).isEqualTo(Duration.ofSeconds(160));
    assertThat(RetryBackoff.after(6)).isEqualTo(Duration.ofMinutes(5));
    assertThat(RetryBackoff.after(10)).isEqualTo(Duration.ofMinutes(5));
    assertThat(RetryBackoff.after(1000)).isEqualTo(Duration.ofMinutes(5));
  }
}
