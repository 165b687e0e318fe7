package dev.vmtask.operator.pod;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TerminationReportTest {
  @Test
  void parsesTheContractExample() {
    String json =
        """
        {"exitCode": 3, "reason": "NonZeroExit", "message": "guest command exited with 3",
         "acceleration": "tcg",
         "image": {"digest": "sha256:abc", "sizeBytes": 123, "virtualSizeBytes": 456, "cached": true},
         "artifacts": [{"name": "out", "sizeBytes": 12, "sha256": "ff", "path": "out.txt"}],
         "timings": {"imageMs": 12, "bootMs": 3400, "commandMs": 20, "totalMs": 3500},
         "truncated": false, "futureField": {"x": 1}}
        """;
    TerminationReport r = TerminationReport.parse(json).orElseThrow();
    assertThat(r.exitCode()).isEqualTo(3);
    assertThat(r.reason()).isEqualTo("NonZeroExit");
    assertThat(r.acceleration()).isEqualTo("tcg");
    assertThat(r.image().digest()).isEqualTo("sha256:abc");
    assertThat(r.image().virtualSizeBytes()).isEqualTo(456);
    assertThat(r.artifacts())
        .singleElement()
        .satisfies(a -> assertThat(a.path()).isEqualTo("out.txt"));
    assertThat(r.timings().bootMs()).isEqualTo(3400);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "   ",
        "panic: runtime error",
        "{\"exitCode\": ",
        "[1,2,3]",
        "{}",
        "{\"exitCode\": \"three\"}",
        "\"just a string\""
      })
  void anythingButAReportIsNoReport(String message) {
    assertThat(TerminationReport.parse(message)).isEmpty();
  }

  @Test
  void nullAndOversizedMessagesAreNoReport() {
    assertThat(TerminationReport.parse(null)).isEmpty();
    String big = "{\"reason\":\"Completed\",\"message\":\"" + "x".repeat(5000) + "\"}";
    assertThat(TerminationReport.parse(big)).isEmpty();
  }
}
