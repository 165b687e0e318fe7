package dev.vmtask.agent.image;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Counts the bytes read through it and runs a check after each read (caps, ratio). */
final class MeteredInputStream extends FilterInputStream {
  /** Throws a {@link Rejection} when {@code count} bytes are too many. */
  interface Check {
    void after(long count) throws Rejection;
  }

  private long count;
  private Check check;

  MeteredInputStream(InputStream in, Check check) {
    super(in);
    this.check = check;
  }

  long count() {
    return count;
  }

  void check(Check c) {
    this.check = c;
  }

  @Override
  public int read() throws IOException {
    int b = in.read();
    if (b >= 0) {
      count++;
      check.after(count);
    }
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = in.read(b, off, len);
    if (n > 0) {
      count += n;
      check.after(count);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    // Read rather than skip so every byte is counted (and digested by the layers below).
    byte[] buf = new byte[(int) Math.min(n, 8192)];
    long done = 0;
    while (done < n) {
      int r = read(buf, 0, (int) Math.min(buf.length, n - done));
      if (r < 0) {
        break;
      }
      done += r;
    }
    return done;
  }

  @Override
  public boolean markSupported() {
    return false;
  }
}
