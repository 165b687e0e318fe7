package dev.vmtask.api.task;

import com.fasterxml.jackson.annotation.JsonProperty;

/** When the display is captured. */
public enum ScreenshotPolicy {
  /** Only when the task fails while its VM still runs (deadline, no guest, abort, artifacts). */
  @JsonProperty("OnFailure")
  ON_FAILURE,
  /** Also after a command that succeeded. */
  @JsonProperty("Always")
  ALWAYS
}
