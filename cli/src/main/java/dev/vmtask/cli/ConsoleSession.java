package dev.vmtask.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The VM's serial console: the agent first replays recent output, then bytes flow both ways
 * unchanged. Ctrl-] (0x1d) typed locally ends the session, as in telnet and virsh. The end of stdin
 * does not: piped input may run out long before the VM has answered it.
 */
final class ConsoleSession {
  static final int ESCAPE = 0x1d;

  /** Why a session ended. */
  enum Ending {
    /** The agent closed the connection: the VM stopped, or the agent let the client go. */
    CLOSED,
    /** Ctrl-] was typed. */
    ESCAPED,
    /** The --timeout ran out. */
    TIMED_OUT
  }

  private final InteractiveChannel.Connection connection;
  private final InputStream stdin;
  private final OutputStream stdout;

  ConsoleSession(InteractiveChannel.Connection connection, InputStream stdin, OutputStream stdout) {
    this.connection = connection;
    this.stdin = stdin;
    this.stdout = stdout;
  }

  /** Runs until the agent closes, Ctrl-], or {@code timeout} (null: no limit). */
  Ending run(Duration timeout) {
    CompletableFuture<Ending> ending = new CompletableFuture<>();
    try {
      Pump.start("console-out", connection.input(), stdout, () -> ending.complete(Ending.CLOSED));
      Thread in =
          new Thread(
              () -> {
                if (copyUntilEscape(stdin, connection.output())) {
                  ending.complete(Ending.ESCAPED);
                }
              },
              "console-in");
      in.setDaemon(true);
      in.start();
      return timeout == null ? ending.get() : ending.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      return Ending.TIMED_OUT;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Ending.CLOSED;
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    } finally {
      connection.close();
    }
  }

  /**
   * Copies until the escape byte (true) or the end of {@code in} or a failed write (false); bytes
   * before the escape byte are sent.
   */
  static boolean copyUntilEscape(InputStream in, OutputStream out) {
    byte[] buf = new byte[4096];
    try {
      for (int n; (n = in.read(buf)) >= 0; ) {
        for (int i = 0; i < n; i++) {
          if (buf[i] == ESCAPE) {
            out.write(buf, 0, i);
            out.flush();
            return true;
          }
        }
        out.write(buf, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // the connection is gone; the output side notices and ends the session
    }
    return false;
  }
}
