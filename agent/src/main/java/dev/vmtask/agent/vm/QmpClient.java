package dev.vmtask.agent.vm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A QMP (QEMU Machine Protocol) client on a unix socket: JSON objects, one per line. Commands run
 * one at a time; asynchronous events go to the listeners on the reader thread.
 */
public final class QmpClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final SocketChannel channel;
  private final OutputStream out;
  private final BufferedReader in;
  private final List<Consumer<JsonNode>> eventListeners = new CopyOnWriteArrayList<>();
  private final Object commandLock = new Object();
  private volatile CompletableFuture<JsonNode> pending;
  private final Thread reader;

  private QmpClient(SocketChannel channel) {
    this.channel = channel;
    this.out = SocketChannelStreams.output(channel);
    InputStream raw = SocketChannelStreams.input(channel);
    this.in = new BufferedReader(new InputStreamReader(raw, StandardCharsets.UTF_8));
    this.reader = new Thread(this::readLoop, "qmp-reader");
    reader.setDaemon(true);
  }

  /**
   * Connects to QEMU's QMP socket, retrying until it exists or {@code timeout} passes, and
   * negotiates capabilities. {@code alive} stops the retries early when QEMU has died.
   */
  public static QmpClient connect(
      Path socket, Duration timeout, java.util.function.BooleanSupplier alive)
      throws IOException, InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (true) {
      SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
      try {
        ch.connect(UnixDomainSocketAddress.of(socket));
        QmpClient c = new QmpClient(ch);
        c.handshake();
        return c;
      } catch (IOException e) {
        ch.close();
        if (System.nanoTime() > end || !alive.getAsBoolean()) {
          throw new QmpException("cannot connect to QMP at " + socket + ": " + e.getMessage(), e);
        }
        Thread.sleep(20);
      }
    }
  }

  private void handshake() throws IOException {
    String greeting = in.readLine();
    if (greeting == null || !JSON.readTree(greeting).has("QMP")) {
      throw new QmpException("no QMP greeting, got: " + greeting);
    }
    reader.start();
    execute("qmp_capabilities", Map.of(), Duration.ofSeconds(10));
  }

  public void onEvent(Consumer<JsonNode> listener) {
    eventListeners.add(listener);
  }

  public JsonNode execute(String command) throws IOException {
    return execute(command, Map.of(), Duration.ofSeconds(30));
  }

  /** Runs one command and returns its {@code return} value. */
  public JsonNode execute(String command, Map<String, Object> arguments, Duration timeout)
      throws IOException {
    synchronized (commandLock) {
      ObjectNode msg = JSON.createObjectNode().put("execute", command);
      if (!arguments.isEmpty()) {
        msg.set("arguments", JSON.valueToTree(arguments));
      }
      CompletableFuture<JsonNode> f = new CompletableFuture<>();
      pending = f;
      try {
        out.write((JSON.writeValueAsString(msg) + "\n").getBytes(StandardCharsets.UTF_8));
        JsonNode reply = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (reply.has("error")) {
          JsonNode e = reply.get("error");
          throw new QmpException(
              command + ": " + e.path("class").asText() + ": " + e.path("desc").asText());
        }
        return reply.path("return");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new QmpException(command + ": interrupted", e);
      } catch (ExecutionException e) {
        throw new QmpException(command + ": " + e.getCause().getMessage(), e.getCause());
      } catch (TimeoutException e) {
        throw new QmpException(command + ": no reply within " + timeout.toSeconds() + " s");
      } finally {
        pending = null;
      }
    }
  }

  private void readLoop() {
    try {
      for (String line; (line = in.readLine()) != null; ) {
        JsonNode msg = JSON.readTree(line);
        if (msg.has("event")) {
          eventListeners.forEach(l -> l.accept(msg));
        } else {
          CompletableFuture<JsonNode> f = pending;
          if (f != null) {
            f.complete(msg);
          }
        }
      }
      failPending(new QmpException("QMP connection closed"));
    } catch (IOException e) {
      failPending(new QmpException("QMP connection broke: " + e.getMessage(), e));
    }
  }

  private void failPending(QmpException e) {
    CompletableFuture<JsonNode> f = pending;
    if (f != null) {
      f.completeExceptionally(e);
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
