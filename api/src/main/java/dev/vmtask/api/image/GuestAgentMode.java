package dev.vmtask.api.image;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How the vmtask guest agent gets into a VM booted from the image. */
public enum GuestAgentMode {
  /** Preinstalled for tar.zst archives, CloudInit for qcow2 and raw disks. */
  @JsonProperty("Auto")
  AUTO,
  /**
   * A read-only NoCloud config drive (label cidata) makes the image's cloud-init start the agent
   * for this boot only; the image is not changed.
   */
  @JsonProperty("CloudInit")
  CLOUD_INIT,
  /** The image starts the agent itself (guest/agent's binary and systemd unit). */
  @JsonProperty("Preinstalled")
  PREINSTALLED
}
