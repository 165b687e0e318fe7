package dev.vmtask.api.machine;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The emulated display adapter; {@code none} runs the guest headless. */
public enum Graphics {
  @JsonProperty("none")
  NONE,
  @JsonProperty("VGA")
  VGA,
  @JsonProperty("qxl-vga")
  QXL_VGA,
  @JsonProperty("virtio-vga")
  VIRTIO_VGA,
  @JsonProperty("vmware-svga")
  VMWARE_SVGA
}
