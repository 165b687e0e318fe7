package dev.vmtask.api.image;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How the downloaded file is laid out. */
public enum ImageFormat {
  /** A zstd tar holding disk.img, layer.qcow2 and machine.json (taskcluster's format). */
  @JsonProperty("tar.zst")
  TAR_ZST,
  /** A standalone qcow2 disk without a backing file. */
  @JsonProperty("qcow2")
  QCOW2,
  /** A raw disk. */
  @JsonProperty("raw")
  RAW,
  /** Detected from the file's content. */
  @JsonProperty("auto")
  AUTO
}
