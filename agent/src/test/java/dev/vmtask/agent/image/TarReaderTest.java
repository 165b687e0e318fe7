package dev.vmtask.agent.image;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;

/**
 * PAX sparse 0.0 and 0.1 maps (GNU tar writes 1.0 and old GNU; those are in ImageCacheTest), and
 * members read through the InputStream contract.
 */
class TarReaderTest {

  /** A tar: a PAX header member with {@code records}, then {@code name} holding {@code data}. */
  private static byte[] tar(String records, String name, byte[] data) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
      TarArchiveEntry pax = new TarArchiveEntry("././@PaxHeader", (byte) 'x', true);
      byte[] r = records.getBytes(UTF_8);
      pax.setSize(r.length);
      tar.putArchiveEntry(pax);
      tar.write(r);
      tar.closeArchiveEntry();
      TarArchiveEntry e = new TarArchiveEntry(name, true);
      e.setSize(data.length);
      tar.putArchiveEntry(e);
      tar.write(data);
      tar.closeArchiveEntry();
    }
    return out.toByteArray();
  }

  private static String record(String key, String value) {
    String body = " " + key + "=" + value + "\n";
    int len = body.length() + 1;
    while (len != body.length() + Integer.toString(len).length()) {
      len = body.length() + Integer.toString(len).length();
    }
    return len + body;
  }

  @Test
  void aMemberLargerThanOneBufferReadsWholeWithReadNBytes() throws Exception {
    byte[] data = new byte[20_000];
    new java.util.Random(3).nextBytes(data);
    TarReader reader =
        new TarReader(new ByteArrayInputStream(tar(record("path", "big"), "x", data)), 1 << 20);

    TarReader.Member m = reader.next();

    assertThat(m.name()).isEqualTo("big");
    assertThat(reader.data().readNBytes(data.length)).isEqualTo(data);
    assertThat(reader.data().read(new byte[1], 0, 0)).isZero();
  }

  @Test
  void pax00SparseMap() throws Exception {
    String records =
        record("GNU.sparse.size", "10000000000")
            + record("GNU.sparse.numblocks", "2")
            + record("GNU.sparse.offset", "0")
            + record("GNU.sparse.numbytes", "3")
            + record("GNU.sparse.offset", "9999999998")
            + record("GNU.sparse.numbytes", "2")
            + record("path", "disk.img");
    TarReader r =
        new TarReader(
            new ByteArrayInputStream(tar(records, "GNUSparseFile.1/x", "abcde".getBytes(UTF_8))),
            1 << 20);
    TarReader.Member m = r.next();
    assertThat(m.name()).isEqualTo("disk.img");
    assertThat(m.realSize()).as("above 8 GiB").isEqualTo(10_000_000_000L);
    assertThat(m.segments()).containsExactly(new long[] {0, 3}, new long[] {9_999_999_998L, 2});
    assertThat(r.data().readAllBytes()).isEqualTo("abcde".getBytes(UTF_8));
    assertThat(r.next()).isNull();
  }

  @Test
  void pax01SparseMapAndName() throws Exception {
    String records =
        record("GNU.sparse.size", "4096")
            + record("GNU.sparse.map", "0,2,4094,2")
            + record("GNU.sparse.name", "disk.img");
    TarReader r =
        new TarReader(
            new ByteArrayInputStream(
                tar(records, "./GNUSparseFile.7/disk.img", "wxyz".getBytes(UTF_8))),
            1 << 20);
    TarReader.Member m = r.next();
    assertThat(m.name()).isEqualTo("disk.img");
    assertThat(m.realSize()).isEqualTo(4096);
    assertThat(m.segments()).containsExactly(new long[] {0, 2}, new long[] {4094, 2});
    assertThat(m.isRegular()).isTrue();
  }

  @Test
  void plainMembersAndTheEnd() throws Exception {
    byte[] archive = TestImages.tarZst(List.of(TestImages.TarEntrySpec.file("machine.json", "{}")));
    TarReader r =
        new TarReader(
            new ByteArrayInputStream(com.github.luben.zstd.Zstd.decompress(archive, 1 << 20)),
            1 << 20);
    TarReader.Member m = r.next();
    assertThat(m.name()).isEqualTo("machine.json");
    assertThat(m.segments()).isNull();
    assertThat(new String(r.data().readAllBytes(), UTF_8)).isEqualTo("{}");
    assertThat(r.next()).isNull();
  }
}
