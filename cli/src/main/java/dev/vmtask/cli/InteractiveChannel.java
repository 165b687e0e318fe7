package dev.vmtask.cli;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The agent's interactive channel: a TCP port on the task pod's loopback, reached through a {@link
 * Transport}. The client sends one request line ({@code VMTASK1 console}, {@code VMTASK1 vnc},
 * {@code VMTASK1 shell <json>}), the agent answers {@code OK} or {@code ERROR <message>}; after OK
 * the stream carries the mode's bytes (raw for console and vnc, {@link ShellFrames} for shell).
 */
final class InteractiveChannel {
  /** The agent's interactive port. */
  static final int PORT = 8100;

  /** Overrides {@link #PORT}, for agents run elsewhere than in a task pod (tests). */
  static final String PORT_ENV = "VMTASK_INTERACTIVE_PORT";

  static final String PROTOCOL = "VMTASK1";
  static final int MAX_LINE = 4096;

  /** Long enough for a port-forward through a busy API server; the agent itself answers at once. */
  static final Duration REPLY_TIMEOUT = Duration.ofSeconds(30);

  /** What the connection is for. */
  enum Mode {
    CONSOLE("console"),
    VNC("vnc"),
    SHELL("shell");

    private final String word;

    Mode(String word) {
      this.word = word;
    }

    String word() {
      return word;
    }
  }

  /** An accepted connection: the mode's bytes flow both ways. */
  static final class Connection implements Closeable {
    private final Transport.Link link;
    private final InputStream input;

    private Connection(Transport.Link link, InputStream input) {
      this.link = link;
      this.input = input;
    }

    /** From the agent; buffered, since the reply line was read from it byte by byte. */
    InputStream input() {
      return input;
    }

    OutputStream output() {
      return link.output();
    }

    /** Why the stream ended early, when the transport can tell; null otherwise. */
    String failure() {
      return link.failure();
    }

    @Override
    public void close() {
      try {
        link.close();
      } catch (IOException e) {
        // nothing more to do with a connection being dropped
      }
    }
  }

  private InteractiveChannel() {}

  /** The port to connect to: {@code VMTASK_INTERACTIVE_PORT} or {@link #PORT}. */
  static int port(Map<String, String> env) {
    String v = env.get(PORT_ENV);
    if (v == null || v.isBlank()) {
      return PORT;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new CliException(PORT_ENV + "=" + v + " is not a port number");
    }
  }

  /** The request line for {@code mode}; {@code json} only for shell. */
  static String request(Mode mode, String json) {
    String line = PROTOCOL + " " + mode.word() + (json == null ? "" : " " + json);
    if (line.getBytes(StandardCharsets.UTF_8).length + 1 > MAX_LINE) {
      throw new CliException(
          "the "
              + mode.word()
              + " request is longer than "
              + MAX_LINE
              + " bytes; shorten the command");
    }
    return line;
  }

  /**
   * Connects, sends {@code request} and reads the answer; an ERROR answer, a stream that ends first
   * (the transport's reason, such as a refused port-forward) or no answer in time is a {@link
   * CliException} with the message to show.
   */
  static Connection open(Transport transport, String request) {
    Transport.Link link;
    try {
      link = transport.connect();
    } catch (IOException e) {
      throw new CliException("cannot reach the agent: " + e.getMessage(), e);
    }
    AtomicBoolean answered = new AtomicBoolean();
    AtomicBoolean timedOut = new AtomicBoolean();
    // A port-forward can hang instead of failing; closing the link unblocks the read below.
    CompletableFuture.delayedExecutor(REPLY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .execute(
            () -> {
              if (!answered.get()) {
                timedOut.set(true);
                closeQuietly(link);
              }
            });
    try {
      link.output().write((request + "\n").getBytes(StandardCharsets.UTF_8));
      link.output().flush();
      InputStream in = new BufferedInputStream(link.input());
      String reply = readLine(in);
      answered.set(true);
      if (reply == null) {
        throw new CliException(ended(link, timedOut.get()));
      }
      if (reply.equals("OK")) {
        return new Connection(link, in);
      }
      closeQuietly(link);
      if (reply.startsWith("ERROR")) {
        throw new CliException(reply.substring("ERROR".length()).trim());
      }
      throw new CliException("unexpected answer from the agent: " + reply);
    } catch (IOException e) {
      answered.set(true);
      closeQuietly(link);
      String failure = link.failure();
      throw new CliException(
          failure != null ? failure : ended(link, timedOut.get()) + " (" + e.getMessage() + ")", e);
    }
  }

  private static String ended(Transport.Link link, boolean timedOut) {
    closeQuietly(link);
    String failure = link.failure();
    if (failure != null) {
      return failure;
    }
    if (timedOut) {
      return "the agent did not answer within " + REPLY_TIMEOUT.toSeconds() + "s";
    }
    return "the agent closed the interactive channel without answering";
  }

  /** One answer line without its newline, or null if the stream ends first. */
  static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b; (b = in.read()) != '\n'; ) {
      if (b < 0) {
        return null;
      }
      if (line.size() == MAX_LINE) {
        throw new IOException("answer line longer than " + MAX_LINE + " bytes");
      }
      line.write(b);
    }
    return line.toString(StandardCharsets.UTF_8).replace("\r", "");
  }

  private static void closeQuietly(Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // closing is all that is left to do
    }
  }
}
