package dev.vmtask.api.machine;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The emulated network card. */
public enum NetworkDevice {
  @JsonProperty("e1000")
  E1000,
  @JsonProperty("rtl8139")
  RTL8139,
  @JsonProperty("virtio-net-pci")
  VIRTIO_NET_PCI
}
