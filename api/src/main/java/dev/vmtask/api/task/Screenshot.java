package dev.vmtask.api.task;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;

/**
 * A PNG of the VM's display, taken just before the VM is stopped: what a hung boot or a stuck
 * installer showed when the task ended.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Screenshot {
  @JsonPropertyDescription(
      "OnFailure (default): when the task fails while its VM runs (NonZeroExit,"
          + " DeadlineExceeded, GuestUnresponsive, KvmFailed, Aborted, ArtifactFailed); Always: also"
          + " after a command that exited 0.")
  @Default("OnFailure")
  private ScreenshotPolicy when;

  @JsonPropertyDescription(
      "Where screenshot.png is stored. A VM without a display device (graphics none from the image"
          + " or defaults) is given a VGA adapter.")
  @Required
  private ArtifactVolume volume;

  public ScreenshotPolicy getWhen() {
    return when;
  }

  public void setWhen(ScreenshotPolicy when) {
    this.when = when;
  }

  public ArtifactVolume getVolume() {
    return volume;
  }

  public void setVolume(ArtifactVolume volume) {
    this.volume = volume;
  }
}
