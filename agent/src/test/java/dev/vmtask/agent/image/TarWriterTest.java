package dev.vmtask.agent.image;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Archives from {@link TarWriter} read back through the project's {@link TarReader}. */
class TarWriterTest {
  @TempDir Path work;

  @Test
  void plainMembersRoundTrip() throws Exception {
    byte[] fromFile = random(3 * 1024 * 1024 + 17, 1); // several buffers and a partial record
    Path file = Files.write(work.resolve("layer"), fromFile);
    byte[] small = "{\"version\": 1}".getBytes(UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TarWriter tar = new TarWriter(out, new byte[1 << 20]);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      tar.writeFile("layer.qcow2", ch, ch.size());
    }
    tar.writeFile("machine.json", small);
    tar.writeFile("empty", new byte[0]);
    tar.finish();
    byte[] archive = out.toByteArray();
    assertThat(tar.bytesWritten()).isEqualTo(archive.length);
    assertThat(archive.length % TarWriter.RECORD).isZero();

    TarReader reader = reader(archive);
    assertMember(reader, "layer.qcow2", fromFile);
    assertMember(reader, "machine.json", small);
    assertMember(reader, "empty", new byte[0]);
    assertThat(reader.next()).isNull();
  }

  @Test
  void headersCarryFixedMetadata() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TarWriter tar = new TarWriter(out, new byte[1 << 20]);
    tar.writeFile("machine.json", new byte[] {'{', '}'});
    tar.finish();
    byte[] h = Arrays.copyOf(out.toByteArray(), TarWriter.RECORD);
    assertThat(field(h, 0, 100)).isEqualTo("machine.json");
    assertThat(field(h, 100, 8)).isEqualTo("0000644");
    assertThat(field(h, 108, 8)).isEqualTo("0000000"); // uid
    assertThat(field(h, 116, 8)).isEqualTo("0000000"); // gid
    assertThat(field(h, 124, 12)).isEqualTo("00000000002");
    assertThat(field(h, 136, 12)).isEqualTo("00000000000"); // mtime
    assertThat((char) h[156]).isEqualTo('0');
    assertThat(new String(h, 257, 8, UTF_8)).isEqualTo("ustar\u000000");
    assertThat(field(h, 265, 32)).isEmpty(); // no user name: numeric owner only
    assertThat(field(h, 297, 32)).isEmpty();
    assertThat(out.size()).isEqualTo(4 * TarWriter.RECORD); // header, data, two end records
  }

  @Test
  void sparseMemberRoundTripsWithItsMap() throws Exception {
    long size = 64L << 20;
    Path file = work.resolve("disk.img");
    List<long[]> extents = new ArrayList<>();
    extents.add(new long[] {0, 4096});
    extents.add(new long[] {1 << 20, 3 * (1 << 20) + 512}); // longer than the read buffer
    extents.add(new long[] {(40L << 20) + 512, 1000}); // not block aligned
    extents.add(new long[] {size - 8192, 8192}); // data up to the end
    byte[] expected = writeExtents(file, size, extents, 2);

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TarWriter tar = new TarWriter(out, new byte[1 << 20]);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      tar.writeSparse("disk.img", ch, size, extents);
    }
    tar.writeFile("machine.json", new byte[] {'{', '}'});
    tar.finish();
    assertThat(out.size()).isLessThan(expected.length + 12 * TarWriter.RECORD); // holes not stored

    TarReader reader = reader(out.toByteArray());
    TarReader.Member m = reader.next();
    assertThat(m.name()).isEqualTo("disk.img");
    assertThat(m.isRegular()).isTrue();
    assertThat(m.realSize()).isEqualTo(size);
    List<long[]> withEnd = new ArrayList<>(extents);
    withEnd.add(new long[] {size, 0}); // GNU tar ends every map at the real size
    assertThat(m.segments()).containsExactlyElementsOf(withEnd);
    assertThat(readData(reader)).isEqualTo(expected);
    assertMember(reader, "machine.json", new byte[] {'{', '}'});
    assertThat(reader.next()).isNull();
  }

  @Test
  void aFileOfHolesOnlyHasJustTheEndOfItsMap() throws Exception {
    long size = 10L << 20;
    Path file = work.resolve("holes.img");
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(size);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TarWriter tar = new TarWriter(out, new byte[1 << 20]);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      tar.writeSparse("disk.img", ch, size, List.of());
    }
    tar.finish();
    String pax = new String(out.toByteArray(), TarWriter.RECORD, TarWriter.RECORD, UTF_8);
    assertThat(pax)
        .startsWith(
            "22 GNU.sparse.major=1\n22 GNU.sparse.minor=0\n28 GNU.sparse.name=disk.img\n"
                + "32 GNU.sparse.realsize=10485760\n");
    // The map as GNU tar writes it for such a file: one entry, at the end, of no data.
    String map = new String(out.toByteArray(), 3 * TarWriter.RECORD, 13, UTF_8);
    assertThat(map).isEqualTo("1\n10485760\n0\n");

    TarReader reader = reader(out.toByteArray());
    TarReader.Member m = reader.next();
    assertThat(m.name()).isEqualTo("disk.img");
    assertThat(m.realSize()).isEqualTo(size);
    assertThat(m.segments()).containsExactly(new long[] {size, 0});
    assertThat(readData(reader)).isEmpty();
    assertThat(reader.next()).isNull();
  }

  @Test
  void aMapLongerThanOneRecordIsPadded() throws Exception {
    long size = 16L << 20;
    Path file = work.resolve("many.img");
    List<long[]> extents = new ArrayList<>();
    for (long at = 8192; at + 512 <= size; at += 65536) {
      extents.add(new long[] {at, 512});
    }
    byte[] expected = writeExtents(file, size, extents, 3);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TarWriter tar = new TarWriter(out, new byte[1 << 20]);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      tar.writeSparse("disk.img", ch, size, extents);
    }
    tar.finish();
    TarReader reader = reader(out.toByteArray());
    TarReader.Member m = reader.next();
    assertThat(m.segments()).hasSize(extents.size() + 1);
    assertThat(readData(reader)).isEqualTo(expected);
    assertThat(reader.next()).isNull();
  }

  @Test
  void refusesExtentsOutOfOrderOrBeyondTheFile() throws Exception {
    Path file = Files.write(work.resolve("f"), new byte[8192]);
    TarWriter tar = new TarWriter(new ByteArrayOutputStream(), new byte[1 << 20]);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      assertThatThrownBy(
              () ->
                  tar.writeSparse(
                      "f", ch, 8192, List.of(new long[] {4096, 512}, new long[] {0, 512})))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> tar.writeSparse("f", ch, 8192, List.of(new long[] {8000, 512})))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void aFileShorterThanItsExtentsFails() throws Exception {
    Path file = Files.write(work.resolve("short"), new byte[1000]);
    TarWriter tar = new TarWriter(new ByteArrayOutputStream(), new byte[1 << 20]);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      assertThatThrownBy(() -> tar.writeSparse("short", ch, 8192, List.of(new long[] {0, 4096})))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("the file ended at 1000");
    }
  }

  @Test
  void paxRecordLengthsCountTheirOwnDigits() {
    assertThat(TarWriter.record("GNU.sparse.major", "1")).isEqualTo("22 GNU.sparse.major=1\n");
    // " k=" + 94 + "\n" is 98 bytes; two digits make 100, which has three: 101.
    String r = TarWriter.record("k", "v".repeat(94));
    assertThat(r).startsWith("101 ");
    assertThat(r.getBytes(UTF_8)).hasSize(101);
    String s = TarWriter.record("k", "v".repeat(93));
    assertThat(s.getBytes(UTF_8)).hasSize(Integer.parseInt(s.substring(0, s.indexOf(' '))));
  }

  /** The current member's data (TarReader's stream is read with a positive length only). */
  private static byte[] readData(TarReader reader) throws IOException {
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    byte[] buf = new byte[64 << 10];
    int n;
    while ((n = reader.read(buf, 0, buf.length)) >= 0) {
      data.write(buf, 0, n);
    }
    return data.toByteArray();
  }

  private static TarReader reader(byte[] archive) {
    return new TarReader(new ByteArrayInputStream(archive), 4 << 20);
  }

  private static void assertMember(TarReader reader, String name, byte[] data) throws IOException {
    TarReader.Member m = reader.next();
    assertThat(m).isNotNull();
    assertThat(m.name()).isEqualTo(name);
    assertThat(m.type()).isEqualTo(TarReader.REGULAR);
    assertThat(m.segments()).isNull();
    assertThat(m.realSize()).isEqualTo(data.length);
    assertThat(readData(reader)).isEqualTo(data);
  }

  /** A sparse file with random data in the extents; returns the data in order. */
  private static byte[] writeExtents(Path file, long size, List<long[]> extents, long seed)
      throws IOException {
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    Random r = new Random(seed);
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(size);
      for (long[] e : extents) {
        byte[] b = new byte[(int) e[1]];
        r.nextBytes(b);
        f.seek(e[0]);
        f.write(b);
        data.write(b);
      }
    }
    return data.toByteArray();
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static String field(byte[] h, int at, int len) {
    int end = at;
    while (end < at + len && h[end] != 0) {
      end++;
    }
    return new String(h, at, end - at, UTF_8);
  }
}
