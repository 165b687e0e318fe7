package dev.vmtask.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A shell or command in the guest, over an accepted shell connection: local stdin goes out in
 * {@code i} frames (then {@code c} at its end), terminal resizes in {@code r} frames; {@code o} and
 * {@code e} frames come back to stdout and stderr until {@code x} carries the exit status or {@code
 * f} a failure.
 */
final class ShellSession {
  /** The largest stdin frame: well under the frame limit, large enough for pasted text. */
  static final int STDIN_CHUNK = 32 * 1024;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final InteractiveChannel.Connection connection;
  private final InputStream stdin;
  private final OutputStream stdout;
  private final OutputStream stderr;

  ShellSession(
      InteractiveChannel.Connection connection,
      InputStream stdin,
      OutputStream stdout,
      OutputStream stderr) {
    this.connection = connection;
    this.stdin = stdin;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /** The JSON of a shell request; an empty command asks for the guest user's login shell. */
  static String request(List<String> command, boolean tty, int rows, int cols, String term) {
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("command", command);
    request.put("tty", tty);
    request.put("rows", rows);
    request.put("cols", cols);
    request.put("term", term);
    try {
      return JSON.writeValueAsString(request);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Tells the guest the terminal's new size; from the SIGWINCH handler. */
  void resize(int rows, int cols) {
    send(ShellFrames.RESIZE, ShellFrames.resize(rows, cols), 0, 4);
  }

  /**
   * Runs until the guest reports how the command ended, and returns its exit status; a failure
   * frame or a connection that ends without a status is a {@link CliException}.
   */
  int run() {
    Thread input = new Thread(this::copyStdin, "shell-stdin");
    // A daemon: a read of the process's stdin cannot be interrupted, and must not keep it alive.
    input.setDaemon(true);
    input.start();
    try {
      InputStream in = connection.input();
      while (true) {
        ShellFrames.Frame frame;
        try {
          frame = ShellFrames.read(in);
        } catch (IOException e) {
          String failure = connection.failure();
          throw new CliException(
              failure != null ? failure : "the shell connection failed: " + e.getMessage(), e);
        }
        if (frame == null) {
          String failure = connection.failure();
          throw new CliException(
              failure != null ? failure : "the session ended without an exit status");
        }
        switch (frame.type()) {
          case ShellFrames.STDOUT -> write(stdout, frame.payload());
          case ShellFrames.STDERR -> write(stderr, frame.payload());
          case ShellFrames.EXIT -> {
            try {
              return frame.exitStatus();
            } catch (IOException e) {
              throw new CliException(e.getMessage(), e);
            }
          }
          case ShellFrames.FAILURE -> throw new CliException(frame.text());
          default -> {
            // A frame type this client does not know: newer agents may send more.
          }
        }
      }
    } finally {
      connection.close();
    }
  }

  private static void write(OutputStream out, byte[] bytes) {
    try {
      out.write(bytes);
      out.flush();
    } catch (IOException e) {
      // our own stdout or stderr is closed (a closed pipe): the guest's output has nowhere to go
    }
  }

  private void copyStdin() {
    byte[] buf = new byte[STDIN_CHUNK];
    try {
      for (int n; (n = stdin.read(buf)) >= 0; ) {
        if (n > 0 && !send(ShellFrames.STDIN, buf, 0, n)) {
          return;
        }
      }
    } catch (IOException e) {
      // stdin failed: treat it as closed
    }
    send(ShellFrames.STDIN_CLOSED, new byte[0], 0, 0);
  }

  /** Sends one frame; false once the connection is gone. */
  private boolean send(byte type, byte[] payload, int offset, int length) {
    OutputStream out = connection.output();
    // stdin and resize frames come from different threads; a frame must go out whole.
    synchronized (out) {
      try {
        ShellFrames.write(out, type, payload, offset, length);
        return true;
      } catch (IOException e) {
        return false;
      }
    }
  }
}
