package dev.vmtask.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * A local VNC endpoint for the VM's display: every connection a VNC viewer makes gets its own
 * interactive channel in mode vnc, and the RFB bytes are copied both ways unchanged.
 */
final class VncProxy {
  private final String task;
  private final Supplier<Transport> transports;
  private final PrintStream out;
  private final PrintStream err;

  /**
   * {@code transports} is asked anew for each connection, so that a viewer that reconnects after a
   * retry reaches the new attempt's pod, or hears that the VM is gone.
   */
  VncProxy(String task, Supplier<Transport> transports, PrintStream out, PrintStream err) {
    this.task = task;
    this.transports = transports;
    this.out = out;
    this.err = err;
  }

  /** Listens on {@code address:port} until killed, or until {@code timeout} (null: no limit). */
  int run(String address, int port, Duration timeout) {
    try (ServerSocket server = new ServerSocket()) {
      server.bind(new InetSocketAddress(InetAddress.getByName(address), port));
      String hostPort = hostPort(address, server.getLocalPort());
      out.println(
          "VNC display of "
              + task
              + " at "
              + hostPort
              + " (vnc://"
              + hostPort
              + "); Ctrl-C to stop");
      out.flush();
      long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
      while (true) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return 0;
        }
        // Wake up now and then to see whether the timeout has run out.
        server.setSoTimeout((int) Math.max(1, Math.min(left / 1_000_000, 1000)));
        Socket viewer;
        try {
          viewer = server.accept();
        } catch (SocketTimeoutException e) {
          continue;
        }
        Thread t = new Thread(() -> serve(viewer), "vnc-connection");
        t.setDaemon(true);
        t.start();
      }
    } catch (IOException e) {
      throw new CliException("cannot listen on " + address + ":" + port + ": " + e.getMessage(), e);
    }
  }

  private static String hostPort(String address, int port) {
    return (address.contains(":") ? "[" + address + "]" : address) + ":" + port;
  }

  private void serve(Socket viewer) {
    InteractiveChannel.Connection connection;
    try {
      connection =
          InteractiveChannel.open(
              transports.get(), InteractiveChannel.request(InteractiveChannel.Mode.VNC, null));
    } catch (RuntimeException e) {
      // The proxy stays up: the next connection may find the VM again (a new attempt).
      err.println("error: " + ErrorMessages.of(e));
      closeQuietly(viewer);
      return;
    }
    Runnable closeBoth =
        () -> {
          connection.close();
          closeQuietly(viewer);
        };
    try {
      Pump.start("vnc-to-viewer", connection.input(), viewer.getOutputStream(), closeBoth);
      Pump.copy(viewer.getInputStream(), connection.output());
    } catch (IOException e) {
      // the viewer or the agent went away
    } finally {
      closeBoth.run();
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // the viewer is gone either way
    }
  }
}
