package dev.vmtask.api.task;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** How long each stage of the last attempt took, in milliseconds. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Timings {
  @JsonPropertyDescription(
      "From the pod's scheduling to the agent's start, as the operator saw it: the image volume"
          + " (the node daemon's download when the node did not hold the image) and the"
          + " container's start.")
  private Long startMs;

  @JsonPropertyDescription("The agent opening the image.")
  private Long imageMs;

  @JsonPropertyDescription("From QEMU start until the guest fetched its command.")
  private Long bootMs;

  @JsonPropertyDescription("The guest command.")
  private Long commandMs;

  @JsonPropertyDescription("The whole attempt as seen by the agent.")
  private Long totalMs;

  public Long getStartMs() {
    return startMs;
  }

  public void setStartMs(Long startMs) {
    this.startMs = startMs;
  }

  public Long getImageMs() {
    return imageMs;
  }

  public void setImageMs(Long imageMs) {
    this.imageMs = imageMs;
  }

  public Long getBootMs() {
    return bootMs;
  }

  public void setBootMs(Long bootMs) {
    this.bootMs = bootMs;
  }

  public Long getCommandMs() {
    return commandMs;
  }

  public void setCommandMs(Long commandMs) {
    this.commandMs = commandMs;
  }

  public Long getTotalMs() {
    return totalMs;
  }

  public void setTotalMs(Long totalMs) {
    this.totalMs = totalMs;
  }
}
