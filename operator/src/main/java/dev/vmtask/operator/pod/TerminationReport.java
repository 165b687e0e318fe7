package dev.vmtask.operator.pod;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Optional;

/**
 * The agent's termination message (docs/agent-contract.md). The kubelet publishes whatever the
 * container wrote, so anything that is not the documented JSON object is treated as no report.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TerminationReport(
    Integer exitCode,
    String reason,
    String message,
    String acceleration,
    ImageReport image,
    List<ArtifactReport> artifacts,
    ArtifactReport screenshot,
    TimingsReport timings,
    OutputReport output,
    Boolean truncated) {

  /** The contract caps the message at 4 KiB; a longer one was not written by the agent. */
  static final int MAX_BYTES = 4096;

  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record ImageReport(String digest, Long sizeBytes, Long virtualSizeBytes, Boolean cached) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record ArtifactReport(String name, Long sizeBytes, String sha256, String path) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record OutputReport(
      String path, Long sizeBytes, String sha256, Long virtualSizeBytes, String guestAgent) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record TimingsReport(Long imageMs, Long bootMs, Long commandMs, Long totalMs) {}

  /** The report in {@code message}, or empty if there is none or it is not a report. */
  public static Optional<TerminationReport> parse(String message) {
    if (message == null || message.isBlank() || message.length() > MAX_BYTES) {
      return Optional.empty();
    }
    String trimmed = message.strip();
    if (!trimmed.startsWith("{")) {
      return Optional.empty();
    }
    try {
      TerminationReport report = JSON.readValue(trimmed, TerminationReport.class);
      return report.reason() == null && report.exitCode() == null
          ? Optional.empty()
          : Optional.of(report);
    } catch (Exception e) { // any malformed JSON is simply "no report"
      return Optional.empty();
    }
  }
}
