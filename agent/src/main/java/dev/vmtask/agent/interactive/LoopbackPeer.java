package dev.vmtask.agent.interactive;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;

/**
 * Who is at the other end of a loopback TCP connection, by the uid that owns the peer's socket in
 * {@code /proc/net/tcp}. A guest with outbound network reaches the pod's loopback through QEMU's
 * user network, so its connections come from QEMU's uid (the agent's); a port-forward comes from
 * the container runtime, which is another user.
 */
final class LoopbackPeer {
  private final List<Path> tables;

  /** {@code tables}: {@code /proc/net/tcp} and {@code tcp6} (Java's sockets are IPv6 ones). */
  LoopbackPeer(List<Path> tables) {
    this.tables = tables;
  }

  /** The uid owning the peer end of {@code s}, if a table lists it. */
  OptionalInt uid(Socket s) throws IOException {
    for (Path table : tables) {
      if (Files.exists(table)) {
        OptionalInt uid = uid(Files.readAllLines(table), s.getPort(), s.getLocalPort());
        if (uid.isPresent()) {
          return uid;
        }
      }
    }
    return OptionalInt.empty();
  }

  /**
   * Finds the socket whose local port is {@code peerPort} and remote port {@code localPort}. Lines:
   * {@code sl local_address rem_address st tx:rx tr:when retrnsmt uid ...}, addresses as {@code
   * HEXIP:HEXPORT}.
   */
  static OptionalInt uid(List<String> table, int peerPort, int localPort) {
    for (String line : table) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 8 || !f[1].contains(":") || !f[2].contains(":")) {
        continue;
      }
      try {
        if (port(f[1]) == peerPort && port(f[2]) == localPort) {
          return OptionalInt.of(Integer.parseInt(f[7]));
        }
      } catch (NumberFormatException e) {
        // the header line or an unexpected format: not this socket
      }
    }
    return OptionalInt.empty();
  }

  private static int port(String address) {
    return Integer.parseInt(address.substring(address.indexOf(':') + 1), 16);
  }
}
