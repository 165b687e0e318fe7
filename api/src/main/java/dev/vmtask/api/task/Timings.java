package dev.vmtask.api.task;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** How long the agent spent in each stage of the last attempt, in milliseconds. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Timings {
  @JsonPropertyDescription("Image fetch or cache lookup.")
  private Long imageMs;

  @JsonPropertyDescription("From QEMU start until the guest fetched its command.")
  private Long bootMs;

  @JsonPropertyDescription("The guest command.")
  private Long commandMs;

  @JsonPropertyDescription("The whole attempt as seen by the agent.")
  private Long totalMs;

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
