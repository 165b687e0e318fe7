package dev.vmtask.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The agent's side of the interactive channel for tests: a loopback server that reads the request
 * line and then plays a script, plus a {@link Transport} that reaches it with a plain socket.
 */
final class FakeAgent implements AutoCloseable {
  /** What the agent does once it has read the request line. */
  @FunctionalInterface
  interface Script {
    void play(String request, InputStream in, OutputStream out) throws Exception;
  }

  private final ServerSocket server;
  private final CompletableFuture<String> request = new CompletableFuture<>();
  private final CompletableFuture<Void> done = new CompletableFuture<>();

  FakeAgent(Script script) throws IOException {
    server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    Thread t =
        new Thread(
            () -> {
              try (Socket s = server.accept()) {
                InputStream in = s.getInputStream();
                String line = InteractiveChannel.readLine(in);
                request.complete(line);
                script.play(line, in, s.getOutputStream());
                done.complete(null);
              } catch (Throwable e) {
                request.completeExceptionally(e);
                done.completeExceptionally(e);
              }
            },
            "fake-agent");
    t.setDaemon(true);
    t.start();
  }

  Transport transport() {
    return () -> {
      Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      return new Transport.Link() {
        @Override
        public InputStream input() {
          return in;
        }

        @Override
        public OutputStream output() {
          return out;
        }

        @Override
        public String failure() {
          return null;
        }

        @Override
        public void close() throws IOException {
          s.close();
        }
      };
    };
  }

  /** The request line the client sent. */
  String request() throws Exception {
    return request.get(10, TimeUnit.SECONDS);
  }

  /** Waits for the script to end, rethrowing what it threw (its assertions). */
  void awaitScript() throws Exception {
    done.get(10, TimeUnit.SECONDS);
  }

  static void answer(OutputStream out, String line) throws IOException {
    out.write((line + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    out.flush();
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
