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
  /**
   * An ISO 9660 image (CD001 at byte 32769), for a task's cdroms; never detected by auto, since a
   * hybrid ISO is a raw disk too.
   */
  @JsonProperty("iso")
  ISO,
  /** Detected from the file's content (tar.zst, qcow2 or raw). */
  @JsonProperty("auto")
  AUTO
}
