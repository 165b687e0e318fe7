package dev.vmtask.agent.image;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A streaming tar reader for untrusted archives: ustar, GNU (long names, base-256 numbers, old
 * sparse members with extension records) and PAX (path/size records, GNU sparse 0.0, 0.1 and 1.0).
 * Header checksums are verified; sparse maps must be ordered, disjoint, within the file and add up
 * to exactly the data stored. Header bytes per member (names, PAX records, sparse maps) are capped.
 * Unlike commons-compress it reads sizes of sparse files above 2 and 8 GiB and never expands holes
 * into zeros: the caller gets the map and skips them.
 */
final class TarReader {
  static final byte REGULAR = '0';
  static final byte REGULAR_OLD = 0;
  static final byte CONTIGUOUS = '7';
  static final byte GNU_SPARSE = 'S';
  private static final int RECORD = 512;

  /** One member. {@code segments} is null for a plain member: its data is the file. */
  record Member(String name, byte type, String linkName, long realSize, List<long[]> segments) {
    boolean isRegular() {
      return type == REGULAR || type == REGULAR_OLD || type == CONTIGUOUS || type == GNU_SPARSE;
    }
  }

  private final InputStream in;
  private final long maxHeaderBytes;
  private final byte[] record = new byte[RECORD];
  private long remaining; // data bytes of the current member not yet read
  private long padding;
  private long headerBytes;

  TarReader(InputStream in, long maxHeaderBytes) {
    this.in = in;
    this.maxHeaderBytes = maxHeaderBytes;
  }

  /** The next member, or null at the end of the archive. */
  Member next() throws IOException {
    skipFully(remaining + padding);
    remaining = 0;
    padding = 0;
    headerBytes = 0;
    String longName = null;
    String longLink = null;
    Pax pax = new Pax();
    while (true) {
      if (!readRecord(true)) {
        return null; // end of stream at a record boundary
      }
      if (isZero(record)) {
        return null; // end-of-archive marker (the second zero record is not required)
      }
      verifyChecksum();
      byte type = record[156];
      long size = number(124, 12, "size");
      String name = string(0, 100);
      if (isUstar() && record[345] != 0 && !isOldGnu()) {
        name = string(345, 155) + "/" + name;
      }
      String link = string(157, 100);
      switch (type) {
        case 'L' -> longName = trimNul(readMeta(size));
        case 'K' -> longLink = trimNul(readMeta(size));
        case 'x' -> pax.parse(readMeta(size));
        case 'g' -> readMeta(size); // global defaults (e.g. mtime): nothing we use
        default -> {
          List<long[]> segments = null;
          long realSize = size;
          if (type == GNU_SPARSE) {
            realSize =
                number(483, 12, "sparse real size"); // before extension records reuse the buffer
            segments = oldGnuSparseMap();
          }
          if (pax.size >= 0) {
            size = pax.size;
          }
          String finalName = pax.path != null ? pax.path : longName != null ? longName : name;
          String finalLink =
              pax.linkPath != null ? pax.linkPath : longLink != null ? longLink : link;
          remaining = size;
          padding = (RECORD - size % RECORD) % RECORD;
          if (pax.sparseMajor >= 0 || pax.sparseMap != null) {
            finalName = pax.sparseName != null ? pax.sparseName : finalName;
            realSize = pax.sparseRealSize;
            segments =
                pax.sparseMajor == 1
                    ? pax1Map()
                    : pax.sparseMap != null ? pax.sparseMap : new ArrayList<>();
          }
          if (segments != null) {
            checkSegments(finalName, segments, realSize, remaining);
          }
          return new Member(finalName, type, finalLink, realSize, segments);
        }
      }
    }
  }

  /** Reads up to {@code len} bytes of the current member's data; -1 at its end. */
  int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0; // InputStream's contract; readNBytes asks for 0 bytes at a buffer's end
    }
    if (remaining == 0) {
      return -1;
    }
    int n = in.readNBytes(b, off, (int) Math.min(len, remaining));
    if (n == 0) {
      throw new Rejection("the archive is truncated inside a member");
    }
    remaining -= n;
    return n;
  }

  /** The data of the current member as a stream (for {@link SparseFileWriter#copy}). */
  InputStream data() {
    return new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return TarReader.this.read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return TarReader.this.read(b, off, len);
      }
    };
  }

  private boolean readRecord(boolean endAllowed) throws IOException {
    int n = in.readNBytes(record, 0, RECORD);
    if (n == 0 && endAllowed) {
      return false;
    }
    if (n < RECORD) {
      throw new Rejection("the archive is truncated inside a tar header");
    }
    countHeader(RECORD);
    return true;
  }

  private void countHeader(long n) throws Rejection {
    headerBytes += n;
    if (headerBytes > maxHeaderBytes) {
      throw new Rejection("tar headers of one member exceed " + maxHeaderBytes + " bytes");
    }
  }

  /** The data of a metadata member (long name, PAX records), bounded by the header budget. */
  private byte[] readMeta(long size) throws IOException {
    countHeader(size);
    byte[] data = in.readNBytes((int) size);
    if (data.length != size) {
      throw new Rejection("the archive is truncated inside a tar header");
    }
    skipFully((RECORD - size % RECORD) % RECORD);
    return data;
  }

  private List<long[]> oldGnuSparseMap() throws IOException {
    List<long[]> segments = new ArrayList<>();
    addStructs(segments, 386, 4);
    boolean extended = record[482] != 0;
    while (extended) {
      readRecord(false);
      addStructs(segments, 0, 21);
      extended = record[504] != 0;
    }
    return segments;
  }

  private void addStructs(List<long[]> segments, int at, int count) throws Rejection {
    for (int i = 0; i < count; i++) {
      int o = at + i * 24;
      if (record[o] == 0 && record[o + 12] == 0) {
        continue;
      }
      segments.add(new long[] {number(o, 12, "sparse offset"), number(o + 12, 12, "sparse size")});
    }
  }

  /** PAX sparse 1.0: the map heads the data as decimal lines, padded to a record. */
  private List<long[]> pax1Map() throws IOException {
    long consumed = 0;
    StringBuilder line = new StringBuilder();
    List<Long> numbers = new ArrayList<>();
    long count = -1;
    while (count < 0 || numbers.size() < 2 * count) {
      int c = data().read();
      if (c < 0) {
        throw new Rejection("the archive is truncated inside a sparse map");
      }
      consumed++;
      countHeader(1);
      if (c == '\n') {
        long v = parseDecimal(line.toString(), "sparse map");
        line.setLength(0);
        if (count < 0) {
          count = v;
        } else {
          numbers.add(v);
        }
      } else {
        line.append((char) c);
      }
    }
    long pad = (RECORD - consumed % RECORD) % RECORD;
    if (pad > remaining) {
      throw new Rejection("the archive is truncated inside a sparse map");
    }
    skipFully(pad);
    remaining -= pad;
    List<long[]> segments = new ArrayList<>();
    for (int i = 0; i < numbers.size(); i += 2) {
      segments.add(new long[] {numbers.get(i), numbers.get(i + 1)});
    }
    return segments;
  }

  private static void checkSegments(String name, List<long[]> segments, long realSize, long stored)
      throws Rejection {
    long end = 0;
    long data = 0;
    for (long[] s : segments) {
      if (s[0] < end || s[1] < 0 || s[0] + s[1] < s[0] || s[0] + s[1] > realSize) {
        throw new Rejection("member '" + name + "' has an invalid sparse map");
      }
      end = s[0] + s[1];
      data += s[1];
    }
    if (data != stored || realSize < 0) {
      throw new Rejection(
          "member '" + name + "' has a sparse map of " + data + " bytes but stores " + stored);
    }
  }

  private void verifyChecksum() throws Rejection {
    long stored = number(148, 8, "checksum");
    long sum = 0;
    for (int i = 0; i < RECORD; i++) {
      sum += (i >= 148 && i < 156) ? ' ' : record[i] & 0xff;
    }
    if (sum != stored) {
      throw new Rejection("corrupt tar header (checksum mismatch)");
    }
  }

  private boolean isUstar() {
    return record[257] == 'u'
        && record[258] == 's'
        && record[259] == 't'
        && record[260] == 'a'
        && record[261] == 'r';
  }

  private boolean isOldGnu() {
    return isUstar() && record[262] == ' ';
  }

  /** Octal (space/NUL padded) or GNU base-256 (first byte 0x80). */
  private long number(int at, int len, String field) throws Rejection {
    if ((record[at] & 0xff) == 0x80) {
      long v = 0;
      for (int i = at + 1; i < at + len; i++) {
        if (v >>> 55 != 0) {
          throw new Rejection("tar header " + field + " is out of range");
        }
        v = (v << 8) | (record[i] & 0xff);
      }
      return v;
    }
    if ((record[at] & 0x80) != 0) {
      throw new Rejection("tar header " + field + " is negative or malformed");
    }
    long v = 0;
    int i = at;
    int end = at + len;
    while (i < end && (record[i] == ' ' || record[i] == 0)) {
      i++;
    }
    for (; i < end && record[i] != ' ' && record[i] != 0; i++) {
      if (record[i] < '0' || record[i] > '7' || v >>> 60 != 0) {
        throw new Rejection("tar header " + field + " is not an octal number");
      }
      v = v * 8 + (record[i] - '0');
    }
    return v;
  }

  private String string(int at, int len) {
    int end = at;
    while (end < at + len && record[end] != 0) {
      end++;
    }
    return new String(record, at, end - at, UTF_8);
  }

  private void skipFully(long n) throws IOException {
    long left = n;
    byte[] buf = new byte[(int) Math.min(Math.max(left, 1), 64 * 1024)];
    while (left > 0) {
      int r = in.readNBytes(buf, 0, (int) Math.min(buf.length, left));
      if (r == 0) {
        throw new Rejection("the archive is truncated");
      }
      left -= r;
    }
  }

  private static boolean isZero(byte[] b) {
    for (byte x : b) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  private static String trimNul(byte[] b) {
    int end = 0;
    while (end < b.length && b[end] != 0) {
      end++;
    }
    return new String(b, 0, end, UTF_8);
  }

  static long parseDecimal(String s, String what) throws Rejection {
    if (s.isEmpty() || s.length() > 19 || !s.chars().allMatch(Character::isDigit)) {
      throw new Rejection("tar " + what + " holds a malformed number");
    }
    return Long.parseLong(s);
  }

  /** The PAX records that matter here, from one extended header. */
  private static final class Pax {
    String path;
    String linkPath;
    long size = -1;
    int sparseMajor = -1;
    String sparseName;
    long sparseRealSize = -1;
    List<long[]> sparseMap;
    private Long pendingOffset;

    void parse(byte[] data) throws Rejection {
      int pos = 0;
      while (pos < data.length) {
        int space = pos;
        while (space < data.length && data[space] != ' ') {
          space++;
        }
        if (space == data.length) {
          throw new Rejection("malformed PAX header record");
        }
        long len = parseDecimal(new String(data, pos, space - pos, UTF_8), "PAX record length");
        if (len <= space - pos + 1
            || pos + len > data.length
            || data[(int) (pos + len - 1)] != '\n') {
          throw new Rejection("malformed PAX header record");
        }
        String kv = new String(data, space + 1, (int) (pos + len - space - 2), UTF_8);
        int eq = kv.indexOf('=');
        if (eq < 0) {
          throw new Rejection("malformed PAX header record");
        }
        apply(kv.substring(0, eq), kv.substring(eq + 1));
        pos += (int) len;
      }
    }

    private void apply(String key, String value) throws Rejection {
      switch (key) {
        case "path" -> path = value;
        case "linkpath" -> linkPath = value;
        case "size" -> size = parseDecimal(value, "PAX size");
        case "GNU.sparse.major" -> sparseMajor = (int) parseDecimal(value, "PAX sparse version");
        case "GNU.sparse.name" -> sparseName = value;
        case "GNU.sparse.realsize", "GNU.sparse.size" ->
            sparseRealSize = parseDecimal(value, "PAX sparse size");
        case "GNU.sparse.map" -> {
          sparseMap = new ArrayList<>();
          String[] parts = value.isEmpty() ? new String[0] : value.split(",", -1);
          if (parts.length % 2 != 0) {
            throw new Rejection("malformed GNU.sparse.map");
          }
          for (int i = 0; i < parts.length; i += 2) {
            sparseMap.add(
                new long[] {
                  parseDecimal(parts[i], "sparse map"), parseDecimal(parts[i + 1], "sparse map")
                });
          }
        }
        case "GNU.sparse.offset" -> pendingOffset = parseDecimal(value, "sparse map");
        case "GNU.sparse.numbytes" -> {
          if (pendingOffset == null) {
            throw new Rejection("GNU.sparse.numbytes without GNU.sparse.offset");
          }
          if (sparseMap == null) {
            sparseMap = new ArrayList<>();
          }
          sparseMap.add(new long[] {pendingOffset, parseDecimal(value, "sparse map")});
          pendingOffset = null;
        }
        default -> {}
      }
    }
  }
}
