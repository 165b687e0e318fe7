package dev.vmtask.api.task;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Whether an artifact path names a file or a directory tree. */
public enum ArtifactType {
  @JsonProperty("file")
  FILE,
  @JsonProperty("directory")
  DIRECTORY
}
