package dev.vmtask.agent.image;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Writes a disk file so that it stays sparse: holes are skipped by position, and so is every
 * all-zero 4 KiB block of data. Enforces a cap on the file's apparent size and counts the bytes
 * actually allocated.
 */
final class SparseFileWriter implements Closeable {
  static final int BLOCK = 4096;
  private static final byte[] ZEROS = new byte[BLOCK];

  private final RandomAccessFile file;
  private final FileChannel channel;
  private final String name;
  private final long maxBytes;
  private long position;
  private long allocated;

  SparseFileWriter(Path path, String name, long maxBytes) throws IOException {
    this.file = new RandomAccessFile(path.toFile(), "rw");
    this.channel = file.getChannel();
    this.name = name;
    this.maxBytes = maxBytes;
  }

  long position() {
    return position;
  }

  /** Bytes of data blocks written (holes and zero blocks excluded). */
  long allocatedBytes() {
    return allocated;
  }

  /** Leaves a hole of {@code n} bytes. */
  void skip(long n) throws Rejection {
    advanceTo(position + n);
  }

  /** Copies {@code n} bytes (or, with {@code n < 0}, everything) from {@code in}. */
  long copy(InputStream in, long n, byte[] buffer) throws IOException {
    long done = 0;
    while (n < 0 || done < n) {
      int want = (int) (n < 0 ? buffer.length : Math.min(buffer.length, n - done));
      int r = in.readNBytes(buffer, 0, want);
      if (r == 0) {
        if (n < 0) {
          break;
        }
        throw new Rejection(name + " is truncated: " + done + " of " + n + " bytes");
      }
      write(buffer, 0, r);
      done += r;
      if (r < want && n < 0) {
        break;
      }
    }
    return done;
  }

  void write(byte[] b, int off, int len) throws IOException {
    long start = position;
    advanceTo(position + len);
    int i = 0;
    while (i < len) {
      // Split at file block boundaries so zero blocks line up with the filesystem's blocks.
      int blockEnd = (int) Math.min(len, i + BLOCK - ((start + i) % BLOCK));
      if (isZero(b, off + i, blockEnd - i)) {
        i = blockEnd;
        continue;
      }
      int runStart = i;
      i = blockEnd;
      while (i < len) {
        int next = (int) Math.min(len, i + BLOCK - ((start + i) % BLOCK));
        if (isZero(b, off + i, next - i)) {
          break;
        }
        i = next;
      }
      ByteBuffer buf = ByteBuffer.wrap(b, off + runStart, i - runStart);
      long at = start + runStart;
      try {
        while (buf.hasRemaining()) {
          at += channel.write(buf, at);
        }
      } catch (IOException e) {
        throw new LocalWriteException(name, e);
      }
      allocated += i - runStart;
    }
  }

  /** Sets the apparent size (extending with a hole) and flushes the data to disk. */
  void finish(long size) throws IOException {
    advanceTo(size);
    try {
      file.setLength(size);
      channel.force(true);
    } catch (IOException e) {
      throw new LocalWriteException(name, e);
    }
  }

  private void advanceTo(long newPosition) throws Rejection {
    if (newPosition > maxBytes) {
      throw new Rejection(
          name + " is larger than the limit of " + maxBytes + " bytes (at " + newPosition + ")");
    }
    position = newPosition;
  }

  private static boolean isZero(byte[] b, int off, int len) {
    return Arrays.mismatch(b, off, off + len, ZEROS, 0, len) < 0;
  }

  @Override
  public void close() throws IOException {
    file.close();
  }

  /** Writing to the cache failed (e.g. disk full): the node's problem, not the image's. */
  static final class LocalWriteException extends IOException {
    LocalWriteException(String name, IOException cause) {
      super("writing " + name + " into the image cache failed: " + cause.getMessage(), cause);
    }
  }
}
