package dev.vmtask.api.task;

import com.fasterxml.jackson.annotation.JsonProperty;

/** When the display is captured. */
public enum ScreenshotPolicy {
  /**
   * Only when the task fails while its VM still runs (non-zero exit, deadline, no guest, abort).
   */
  @JsonProperty("OnFailure")
  ON_FAILURE,
  /** Also after a command that exited 0. */
  @JsonProperty("Always")
  ALWAYS
}
