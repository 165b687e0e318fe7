package dev.vmtask.agent.interactive;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** Moving bytes both ways between a client and the VM, each direction flushed as it comes. */
final class Relay {
  private Relay() {}

  /** Copies in to out on a thread of its own; when in ends, {@code whenDone} is closed. */
  static Thread pipe(InputStream in, OutputStream out, Closeable whenDone) {
    Thread t =
        new Thread(
            () -> {
              try {
                copy(in, out);
              } catch (IOException e) {
                // either side went away
              } finally {
                closeQuietly(whenDone);
              }
            },
            "interactive-pipe");
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

  static void join(Thread t) {
    try {
      t.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static void closeQuietly(Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // closing is all that is left to do
    }
  }
}
