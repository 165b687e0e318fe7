package dev.vmtask.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Copies bytes from one stream to another on a daemon thread, flushing every chunk: interactive
 * output must show as it comes, not when a buffer fills.
 */
final class Pump {
  private Pump() {}

  /** Starts copying; {@code whenDone} runs when {@code in} ends or either side fails. */
  static Thread start(String name, InputStream in, OutputStream out, Runnable whenDone) {
    Thread t =
        new Thread(
            () -> {
              try {
                copy(in, out);
              } catch (IOException e) {
                // one side went away: the end of the copy is all the caller needs to know
              } finally {
                whenDone.run();
              }
            },
            name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  static void copy(InputStream in, OutputStream out) throws IOException {
    byte[] buf = new byte[16384];
    for (int n; (n = in.read(buf)) >= 0; ) {
      out.write(buf, 0, n);
      out.flush();
    }
  }
}
