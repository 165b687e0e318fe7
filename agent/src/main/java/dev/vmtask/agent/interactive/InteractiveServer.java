package dev.vmtask.agent.interactive;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vmtask.agent.guest.GuestShells;
import dev.vmtask.agent.vm.SocketChannelStreams;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;

/**
 * The VM's console, display and shells for {@code kubectl vmtask}, on the pod's loopback: clients
 * reach it only through the pod's {@code portforward} subresource, so Kubernetes RBAC decides who
 * may. One line opens a connection ({@code VMTASK1 console}, {@code VMTASK1 vnc} or {@code VMTASK1
 * shell <json>}), one line answers it ({@code OK} or {@code ERROR <why>}), then bytes flow both
 * ways: the console's, the display's RFB, or shell frames (docs/agent-contract.md).
 */
public final class InteractiveServer implements AutoCloseable {
  public static final int DEFAULT_PORT = 8100;
  static final String PROTOCOL = "VMTASK1";
  static final int MAX_CONNECTIONS = 8;
  static final int MAX_LINE = 4096;
  static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

  /** Says why a connection is refused, or null to serve it. */
  @FunctionalInterface
  public interface PeerCheck {
    String refusal(Socket s) throws IOException;
  }

  private final ServerSocket server;
  private final Consumer<String> diagnostics;
  private final PeerCheck peers;
  private final Semaphore slots = new Semaphore(MAX_CONNECTIONS);
  private final Set<Closeable> open = ConcurrentHashMap.newKeySet();
  private volatile InteractiveVm vm;

  /** Listens on 127.0.0.1:{@code port} (0: any free port); {@code peers} decides who is served. */
  public InteractiveServer(int port, Consumer<String> diagnostics, PeerCheck peers)
      throws IOException {
    this.diagnostics = diagnostics;
    this.peers = peers;
    this.server = new ServerSocket();
    server.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 16);
    Thread t = new Thread(this::acceptLoop, "interactive-accept");
    t.setDaemon(true);
    t.start();
  }

  /**
   * Listens on 127.0.0.1:{@code port}, refusing connections from the agent's own uid: QEMU runs as
   * that user, so they would come from the guest.
   */
  public static InteractiveServer start(int port, Consumer<String> diagnostics) throws IOException {
    int own = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    LoopbackPeer table =
        new LoopbackPeer(List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6")));
    return new InteractiveServer(
        port,
        diagnostics,
        s -> {
          OptionalInt uid = table.uid(s);
          if (uid.isEmpty()) {
            return "its socket is not in /proc/net/tcp or tcp6";
          }
          return uid.getAsInt() == own
              ? "it comes from uid " + own + ", the VM's own, as a guest's connection would"
              : null;
        });
  }

  public int port() {
    return server.getLocalPort();
  }

  /** Serves {@code vm} until {@link #detach()}. */
  public void attach(InteractiveVm vm) {
    this.vm = vm;
  }

  /** The VM is stopping: no new sessions, and open ones end. */
  public void detach() {
    vm = null;
    open.forEach(Relay::closeQuietly);
  }

  @Override
  public void close() {
    detach();
    Relay.closeQuietly(server);
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      Socket s;
      try {
        s = server.accept();
      } catch (IOException e) {
        continue; // closed, or a failed accept: the loop condition decides
      }
      if (!slots.tryAcquire()) {
        refuse(s, "at most " + MAX_CONNECTIONS + " interactive connections may be open at once");
        continue;
      }
      Thread t =
          new Thread(
              () -> {
                open.add(s);
                try {
                  serve(s);
                } finally {
                  open.remove(s);
                  Relay.closeQuietly(s);
                  slots.release();
                }
              },
              "interactive");
      t.setDaemon(true);
      t.start();
    }
  }

  private void serve(Socket s) {
    try {
      String refusal = peers.refusal(s);
      if (refusal != null) {
        diagnostics.accept("refused an interactive connection: " + refusal);
        return;
      }
      s.setSoTimeout((int) HANDSHAKE_TIMEOUT.toMillis());
      String line = readLine(s.getInputStream());
      s.setSoTimeout(0);
      String[] words = line.split(" ", 3);
      if (words.length < 2 || !words[0].equals(PROTOCOL)) {
        answer(s, "ERROR expected \"" + PROTOCOL + " console|vnc|shell [json]\"");
        return;
      }
      InteractiveVm target = vm;
      if (target == null) {
        answer(s, "ERROR the VM is not running");
        return;
      }
      switch (words[1]) {
        case "console" -> console(s, target);
        case "vnc" -> vnc(s, target);
        case "shell" -> shell(s, target, words.length > 2 ? words[2] : "{}");
        default -> answer(s, "ERROR unknown mode " + words[1] + "; expected console, vnc or shell");
      }
    } catch (SocketTimeoutException e) {
      diagnostics.accept("an interactive client sent no request within the handshake timeout");
    } catch (IOException e) {
      // the client or the VM went away: nothing to report to anyone
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void console(Socket s, InteractiveVm target) throws IOException {
    InputStream view = target.console().view();
    open.add(view);
    try (view) {
      answer(s, "OK");
      diagnostics.accept("interactive console opened");
      Thread fromVm = Relay.pipe(view, s.getOutputStream(), s);
      InputStream in = s.getInputStream();
      byte[] buf = new byte[4096];
      for (int n; (n = in.read(buf)) >= 0; ) {
        target.console().send(buf, 0, n);
      }
      view.close();
      Relay.join(fromVm);
    } finally {
      open.remove(view);
      diagnostics.accept("interactive console closed");
    }
  }

  private void vnc(Socket s, InteractiveVm target) throws IOException {
    if (target.vncSocket() == null || !Files.exists(target.vncSocket())) {
      answer(s, "ERROR this VM has no display (its machine.graphics is none)");
      return;
    }
    SocketChannel display = SocketChannel.open(StandardProtocolFamily.UNIX);
    open.add(display);
    try (display) {
      display.connect(UnixDomainSocketAddress.of(target.vncSocket()));
      answer(s, "OK");
      diagnostics.accept("interactive display opened");
      Thread fromVm = Relay.pipe(SocketChannelStreams.input(display), s.getOutputStream(), s);
      Relay.copy(s.getInputStream(), SocketChannelStreams.output(display));
      display.close();
      Relay.join(fromVm);
    } finally {
      open.remove(display);
      diagnostics.accept("interactive display closed");
    }
  }

  private void shell(Socket s, InteractiveVm target, String json)
      throws IOException, InterruptedException {
    ObjectNode request;
    try {
      request = ShellRequest.parse(json);
    } catch (IllegalArgumentException e) {
      answer(s, "ERROR " + e.getMessage());
      return;
    }
    GuestShells.Session session;
    try {
      session = target.shells().open(request);
    } catch (IOException e) {
      answer(s, "ERROR " + e.getMessage());
      return;
    }
    open.add(session);
    try (session) {
      answer(s, "OK");
      diagnostics.accept("interactive shell opened: " + request.path("command"));
      Thread fromGuest = Relay.pipe(session.fromGuest(), s.getOutputStream(), s);
      Relay.copy(s.getInputStream(), session.toGuest());
      session.close();
      Relay.join(fromGuest);
    } finally {
      open.remove(session);
      diagnostics.accept("interactive shell closed");
    }
  }

  /** One request line, read byte by byte so nothing after it is consumed. */
  static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b; (b = in.read()) != '\n'; ) {
      if (b < 0) {
        throw new IOException("the client closed the connection before its request");
      }
      if (line.size() == MAX_LINE) {
        throw new IOException("request line longer than " + MAX_LINE + " bytes");
      }
      line.write(b);
    }
    return line.toString(StandardCharsets.UTF_8).replace("\r", "");
  }

  private static void answer(Socket s, String line) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write((line.replace('\n', ' ') + "\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private void refuse(Socket s, String why) {
    try (s) {
      answer(s, "ERROR " + why);
    } catch (IOException e) {
      // the client is gone already
    }
  }
}
