package dev.vmtask.agent.image;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a POSIX (pax) tar stream as GNU tar {@code --format=posix --sparse --numeric-owner} does,
 * with fixed metadata (mode 0644, uid/gid 0, mtime 0, no user or group names) so that the same
 * files always give the same bytes. Sparse files use GNU sparse 1.0: a pax header names the file
 * and its real size, and the member's data starts with the sparse map as decimal lines, padded to a
 * record. Names must fit the 100-byte name field.
 */
final class TarWriter {
  static final int RECORD = 512;

  /** The largest size the 11 octal digits of the header's size field hold. */
  private static final long MAX_OCTAL_SIZE = 077777777777L;

  private final OutputStream out;
  private final byte[] buffer;
  private long bytes;

  /**
   * @param buffer for reading file data; its size is the read size (1 MiB or more keeps the number
   *     of reads and writes per GiB low)
   */
  TarWriter(OutputStream out, byte[] buffer) {
    this.out = out;
    this.buffer = buffer;
  }

  /** Bytes of tar written so far. */
  long bytesWritten() {
    return bytes;
  }

  /** A regular member holding {@code data}. */
  void writeFile(String name, byte[] data) throws IOException {
    writeHeaders(name, data.length, null);
    write(data, 0, data.length);
    pad(data.length);
  }

  /** A regular member holding the first {@code size} bytes of {@code file}. */
  void writeFile(String name, FileChannel file, long size) throws IOException {
    writeHeaders(name, size, null);
    copy(file, 0, size);
    pad(size);
  }

  /**
   * A GNU sparse 1.0 member of apparent size {@code realSize} whose data is the given extents of
   * {@code file} ({offset, length}, ascending, disjoint, within the file); the rest is holes. Like
   * GNU tar, the map always ends with an entry that reaches {@code realSize} (a zero-length one if
   * the file ends in a hole), so that extractors set the full size; a file of holes only has just
   * that entry.
   */
  void writeSparse(String name, FileChannel file, long realSize, List<long[]> extents)
      throws IOException {
    List<long[]> map = new ArrayList<>();
    long end = 0;
    long data = 0;
    for (long[] e : extents) {
      if (e[0] < end || e[1] <= 0 || e[0] + e[1] > realSize) {
        throw new IllegalArgumentException(
            "extents of " + name + " must be ascending, disjoint and within the file");
      }
      map.add(e);
      end = e[0] + e[1];
      data += e[1];
    }
    map.add(new long[] {realSize, 0});
    StringBuilder text = new StringBuilder().append(map.size()).append('\n');
    for (long[] e : map) {
      text.append(e[0]).append('\n').append(e[1]).append('\n');
    }
    byte[] mapBytes = text.toString().getBytes(UTF_8);
    long mapSize = padded(mapBytes.length);
    long stored = mapSize + data;
    String pax =
        record("GNU.sparse.major", "1")
            + record("GNU.sparse.minor", "0")
            + record("GNU.sparse.name", name)
            + record("GNU.sparse.realsize", Long.toString(realSize));
    // GNU tar's name for the placeholder a tar without sparse support extracts.
    writeHeaders("./GNUSparseFile.0/" + name, stored, pax);
    write(mapBytes, 0, mapBytes.length);
    pad(mapBytes.length);
    for (long[] e : extents) {
      copy(file, e[0], e[1]);
    }
    pad(stored);
  }

  /** The end-of-archive marker: two zero records. */
  void finish() throws IOException {
    byte[] zeros = new byte[2 * RECORD];
    write(zeros, 0, zeros.length);
  }

  /** A pax header when needed (sparse records, or a size beyond the octal field), then ustar. */
  private void writeHeaders(String name, long size, String paxRecords) throws IOException {
    String pax = paxRecords == null ? "" : paxRecords;
    if (size > MAX_OCTAL_SIZE) {
      pax += record("size", Long.toString(size));
    }
    if (!pax.isEmpty()) {
      byte[] paxBytes = pax.getBytes(UTF_8);
      String base = name.substring(name.lastIndexOf('/') + 1);
      write(header("./PaxHeaders/" + base, paxBytes.length, (byte) 'x'), 0, RECORD);
      write(paxBytes, 0, paxBytes.length);
      pad(paxBytes.length);
    }
    // With a pax size record the header's field holds 0, as GNU tar writes it.
    write(header(name, size > MAX_OCTAL_SIZE ? 0 : size, (byte) '0'), 0, RECORD);
  }

  private static byte[] header(String name, long size, byte type) {
    byte[] h = new byte[RECORD];
    byte[] n = name.getBytes(UTF_8);
    if (n.length > 100) {
      throw new IllegalArgumentException("tar member name longer than 100 bytes: " + name);
    }
    System.arraycopy(n, 0, h, 0, n.length);
    octal(h, 100, 8, 0644);
    octal(h, 108, 8, 0); // uid
    octal(h, 116, 8, 0); // gid
    octal(h, 124, 12, size);
    octal(h, 136, 12, 0); // mtime
    h[156] = type;
    byte[] magic = {'u', 's', 't', 'a', 'r', 0, '0', '0'};
    System.arraycopy(magic, 0, h, 257, magic.length);
    octal(h, 329, 8, 0); // devmajor
    octal(h, 337, 8, 0); // devminor
    long sum = 0;
    for (int i = 0; i < RECORD; i++) {
      sum += (i >= 148 && i < 156) ? ' ' : h[i] & 0xff;
    }
    octal(h, 148, 7, sum); // six digits, NUL, then a space
    h[155] = ' ';
    return h;
  }

  /** {@code len - 1} zero-padded octal digits and a NUL. */
  private static void octal(byte[] h, int at, int len, long value) {
    String s = Long.toOctalString(value);
    if (s.length() > len - 1) {
      throw new IllegalArgumentException("value " + value + " does not fit a tar header field");
    }
    for (int i = 0; i < len - 1; i++) {
      int from = i - (len - 1 - s.length());
      h[at + i] = (byte) (from < 0 ? '0' : s.charAt(from));
    }
    h[at + len - 1] = 0;
  }

  /** One pax record, "LEN key=value\n", whose length counts its own digits. */
  static String record(String key, String value) {
    int rest = 1 + key.getBytes(UTF_8).length + 1 + value.getBytes(UTF_8).length + 1;
    int len = rest + Integer.toString(rest).length();
    if (Integer.toString(len).length() != Integer.toString(rest).length()) {
      len++; // adding the digits carried the length over a power of ten
    }
    return len + " " + key + "=" + value + "\n";
  }

  /** Copies {@code length} bytes at {@code offset} with positional reads (no shared position). */
  private void copy(FileChannel file, long offset, long length) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(buffer);
    long pos = offset;
    long end = offset + length;
    while (pos < end) {
      buf.clear().limit((int) Math.min(buffer.length, end - pos));
      while (buf.hasRemaining()) {
        int n = file.read(buf, pos + buf.position());
        if (n < 0) {
          throw new EOFException(
              "the file ended at " + (pos + buf.position()) + ", before " + end + " bytes");
        }
      }
      write(buffer, 0, buf.position());
      pos += buf.position();
    }
  }

  private void pad(long size) throws IOException {
    int n = (int) (padded(size) - size);
    if (n > 0) {
      write(new byte[n], 0, n);
    }
  }

  private static long padded(long size) {
    return (size + RECORD - 1) / RECORD * RECORD;
  }

  private void write(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
    bytes += len;
  }
}
