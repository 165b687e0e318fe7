package dev.vmtask.agent.vm;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The guest's serial console as raw bytes, for interactive viewers: the last {@value
 * #HISTORY_BYTES} bytes are replayed to each new viewer, then what the guest writes as it comes.
 * What viewers type goes to the console's input. A viewer that falls {@value #VIEWER_BACKLOG_BYTES}
 * bytes behind is cut off rather than slowing the VM down.
 */
public final class SerialConsole {
  static final int HISTORY_BYTES = 64 * 1024;
  static final int VIEWER_BACKLOG_BYTES = 1024 * 1024;

  private final OutputStream toGuest;
  private final byte[] history = new byte[HISTORY_BYTES];
  private long written;
  private boolean ended;
  private final List<Viewer> viewers = new CopyOnWriteArrayList<>();

  SerialConsole(OutputStream toGuest) {
    this.toGuest = toGuest;
  }

  /** What QEMU wrote to the console. */
  synchronized void received(byte[] b, int off, int len) {
    for (int i = 0; i < len; i++) {
      history[(int) ((written + i) % HISTORY_BYTES)] = b[off + i];
    }
    written += len;
    byte[] copy = Arrays.copyOfRange(b, off, off + len);
    viewers.forEach(v -> v.offer(copy));
  }

  /** QEMU closed its console: every viewer reaches the end of its stream. */
  synchronized void ended() {
    ended = true;
    viewers.forEach(Viewer::end);
  }

  /** Sends what a viewer typed to the guest. */
  public void send(byte[] b, int off, int len) throws IOException {
    synchronized (toGuest) {
      toGuest.write(b, off, len);
      toGuest.flush();
    }
  }

  /** A new viewer: recent history, then live output; close it to stop following. */
  public synchronized InputStream view() {
    Viewer v = new Viewer();
    int n = (int) Math.min(written, HISTORY_BYTES);
    byte[] past = new byte[n];
    for (int i = 0; i < n; i++) {
      past[i] = history[(int) ((written - n + i) % HISTORY_BYTES)];
    }
    if (n > 0) {
      v.offer(past);
    }
    if (ended) {
      v.end();
    } else {
      viewers.add(v);
    }
    return v;
  }

  private final class Viewer extends InputStream {
    private final Deque<byte[]> chunks = new ArrayDeque<>();
    private byte[] current = new byte[0];
    private int pos;
    private long backlog;
    private boolean done;

    synchronized void offer(byte[] chunk) {
      if (done) {
        return;
      }
      if (backlog + chunk.length > VIEWER_BACKLOG_BYTES) {
        end();
        return;
      }
      chunks.addLast(chunk);
      backlog += chunk.length;
      notifyAll();
    }

    synchronized void end() {
      done = true;
      viewers.remove(this);
      notifyAll();
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) throws IOException {
      while (pos == current.length) {
        if (!chunks.isEmpty()) {
          current = chunks.removeFirst();
          backlog -= current.length;
          pos = 0;
        } else if (done) {
          return -1;
        } else {
          try {
            wait();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
          }
        }
      }
      int n = Math.min(len, current.length - pos);
      System.arraycopy(current, pos, b, off, n);
      pos += n;
      return n;
    }

    @Override
    public void close() {
      end();
    }
  }
}
