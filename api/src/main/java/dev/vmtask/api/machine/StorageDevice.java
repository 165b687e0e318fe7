package dev.vmtask.api.machine;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The emulated disk controller the boot disk is attached to. */
public enum StorageDevice {
  @JsonProperty("virtio-blk-pci")
  VIRTIO_BLK_PCI,
  @JsonProperty("ide-hd")
  IDE_HD
}
