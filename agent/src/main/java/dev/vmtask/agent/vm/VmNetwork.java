package dev.vmtask.agent.vm;

import java.net.InetSocketAddress;

/**
 * QEMU user-mode networking for one VM: no tap device, no root. The guest reaches the metadata
 * service at 169.254.169.254:80 through {@code guestfwd}; egress is cut ({@code restrict=on})
 * unless {@code outbound}. The guest network is 169.254.0.0/16 (as in taskcluster) because slirp
 * only forwards addresses inside its own network.
 */
public record VmNetwork(InetSocketAddress metadata, boolean outbound) {
  public static final String GUEST_NET = "169.254.0.0/16";
  public static final String METADATA_ADDRESS = "169.254.169.254:80";

  /** The {@code -netdev} value; socat bridges each guest connection to the metadata port. */
  String netdev(String id) {
    // -t: keep a half-closed connection open while the host answers (long polls take 30 s).
    String bridge =
        "socat -t 3600 - TCP:" + metadata.getAddress().getHostAddress() + ":" + metadata.getPort();
    return "user,id="
        + id
        + ",net="
        + GUEST_NET
        + ",restrict="
        + (outbound ? "off" : "on")
        + ",guestfwd=tcp:"
        + METADATA_ADDRESS
        + "-cmd:"
        + bridge;
  }
}
