package dev.vmtask.agent.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Reads its source on a separate thread, a few chunks ahead, so that fetching and hashing the
 * download overlap with decompressing and writing it (two cores instead of one, as {@code curl |
 * zstd -d | tar -x} gets with three processes). A failure of the source surfaces on the next read;
 * closing stops the reader thread.
 */
final class ReadAheadInputStream extends InputStream {
  private static final byte[] EOF = new byte[0];

  private final BlockingQueue<Object> chunks;

  /** Buffers the consumer is done with, reused by the reader (no garbage per chunk). */
  private final BlockingQueue<byte[]> free;

  private final Thread reader;
  private volatile boolean closed;
  private byte[] current = new byte[0];
  private int pos;
  private boolean done;

  ReadAheadInputStream(InputStream source, int chunkSize, int depth) {
    this.chunks = new ArrayBlockingQueue<>(depth);
    this.free = new ArrayBlockingQueue<>(depth + 2);
    this.reader = new Thread(() -> pump(source, chunkSize), "image-read-ahead");
    reader.setDaemon(true);
    reader.start();
  }

  private void pump(InputStream source, int chunkSize) {
    Object last = EOF;
    try {
      while (!closed) {
        byte[] buf = free.poll();
        buf = buf != null ? buf : new byte[chunkSize];
        int n = source.readNBytes(buf, 0, chunkSize);
        if (n == 0) {
          break;
        }
        put(n == chunkSize ? buf : Arrays.copyOf(buf, n));
      }
    } catch (IOException | RuntimeException e) {
      last = e;
    } catch (InterruptedException e) {
      return;
    }
    try {
      put(last);
    } catch (InterruptedException e) {
      // closed
    }
  }

  private void put(Object item) throws InterruptedException {
    while (!closed && !chunks.offer(item, 100, TimeUnit.MILLISECONDS)) {
      // wait for the consumer, or for close
    }
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    while (pos == current.length) {
      if (done) {
        return -1;
      }
      Object next;
      try {
        next = chunks.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while reading the image");
      }
      if (next instanceof IOException e) {
        done = true;
        throw e;
      }
      if (next instanceof RuntimeException e) {
        done = true;
        throw e;
      }
      if (current.length > 0) {
        free.offer(current);
      }
      current = (byte[]) next;
      pos = 0;
      if (current == EOF) {
        done = true;
        return -1;
      }
    }
    int n = Math.min(len, current.length - pos);
    System.arraycopy(current, pos, b, off, n);
    pos += n;
    return n;
  }

  @Override
  public void close() {
    closed = true;
    reader.interrupt();
  }
}
