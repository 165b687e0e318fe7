package dev.vmtask.api.task;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The guest's network access. */
public enum TaskNetwork {
  /** Only the agent's metadata service is reachable. */
  @JsonProperty("none")
  NONE,
  /** Outbound connections through QEMU user-mode NAT; nothing inbound. */
  @JsonProperty("outbound")
  OUTBOUND
}
