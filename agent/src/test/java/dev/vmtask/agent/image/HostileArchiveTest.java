package dev.vmtask.agent.image;

import static dev.vmtask.agent.image.TestImages.TarEntrySpec.file;
import static dev.vmtask.agent.image.TestImages.TarEntrySpec.link;
import static dev.vmtask.agent.image.TestImages.TarEntrySpec.special;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtask.agent.image.TestImages.TarEntrySpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every hostile or malformed image is rejected with its specific reason, and the cache is left as
 * it was: no new entry, no temporaries, and a previously cached image still works.
 */
class HostileArchiveTest {
  private static final int DISK = 1 << 20;

  @TempDir Path work;
  private Path root;
  private ImageCache cache;
  private String goodSha;
  private Map<String, Long> before;

  @BeforeEach
  void cacheWithOneGoodImage() throws Exception {
    root = work.resolve("cache");
    cache = ImageCache.open(root, 1L << 40, IntakeLimits.DEFAULT, RetryPolicy.DEFAULT);
    byte[] good = TestImages.tarZst(TestImages.validMembers(work, DISK, 1));
    goodSha = TestImages.sha256(good);
    try (ImageLease lease =
        cache.acquire(
            ImageSource.ofFile(
                TestImages.write(work, "good.tar.zst", good), goodSha, ImageFormat.TAR_ZST),
            p -> {})) {
      assertThat(lease.wasCached()).isFalse();
    }
    before = snapshot();
  }

  private Map<String, Long> snapshot() throws Exception {
    Map<String, Long> files = new TreeMap<>();
    for (String sub : List.of("sha256", "tmp", "urls")) {
      try (Stream<Path> s = Files.walk(root.resolve(sub))) {
        for (Path p : s.toList()) {
          files.put(root.relativize(p).toString(), Files.isDirectory(p) ? -1 : Files.size(p));
        }
      }
    }
    return files;
  }

  private void assertRejected(
      List<TarEntrySpec> members, IntakeLimits limits, ImageFormat format, String... reasons)
      throws Exception {
    assertRejected(TestImages.tarZst(members), limits, format, null, reasons);
  }

  private void assertRejected(
      byte[] image, IntakeLimits limits, ImageFormat format, String sha, String... reasons)
      throws Exception {
    Path file = Files.createTempFile(work, "hostile", ".img");
    Files.write(file, image);
    ImageCache strict = ImageCache.open(root, 1L << 40, limits, RetryPolicy.DEFAULT);
    assertThatThrownBy(() -> strict.acquire(ImageSource.ofFile(file, sha, format), p -> {}))
        .isInstanceOf(ImageRejectedException.class)
        .satisfies(e -> assertThat(e.getMessage()).contains(reasons));
    assertThat(snapshot()).as("cache contents after the rejection").isEqualTo(before);
    try (ImageLease lease =
        cache.acquire(
            ImageSource.ofFile(work.resolve("good.tar.zst"), goodSha, ImageFormat.TAR_ZST),
            p -> {})) {
      assertThat(lease.wasCached()).isTrue();
      assertThat(Files.size(lease.baseDisk().resolveSibling("disk.img"))).isEqualTo(DISK);
      assertThat(TestImages.sha256(Files.readAllBytes(lease.baseDisk().resolveSibling("disk.img"))))
          .isEqualTo(TestImages.sha256(TestImages.rawDisk(DISK, 1)));
    }
  }

  private List<TarEntrySpec> valid() throws Exception {
    return TestImages.validMembers(work, DISK, 2);
  }

  private List<TarEntrySpec> replacing(String name, TarEntrySpec replacement) throws Exception {
    List<TarEntrySpec> m = valid();
    m.replaceAll(e -> e.name().equals(name) ? replacement : e);
    return m;
  }

  @Test
  void parentDirectoryPath() throws Exception {
    List<TarEntrySpec> m = valid();
    m.add(0, file("../disk.img", "x"));
    assertRejected(
        m,
        IntakeLimits.DEFAULT,
        ImageFormat.TAR_ZST,
        "member '../disk.img' escapes the archive with '..'");
  }

  @Test
  void absolutePath() throws Exception {
    List<TarEntrySpec> m = valid();
    m.add(0, file("/etc/cron.d/x", "x"));
    assertRejected(
        m,
        IntakeLimits.DEFAULT,
        ImageFormat.TAR_ZST,
        "member '/etc/cron.d/x' has an absolute path");
  }

  @Test
  void symlinkMember() throws Exception {
    assertRejected(
        replacing("disk.img", link("disk.img", TarConstants.LF_SYMLINK, "/dev/sda")),
        IntakeLimits.DEFAULT,
        ImageFormat.TAR_ZST,
        "member 'disk.img' is a symbolic link to '/dev/sda'");
  }

  @Test
  void hardlinkMember() throws Exception {
    assertRejected(
        replacing("machine.json", link("machine.json", TarConstants.LF_LINK, "/etc/shadow")),
        IntakeLimits.DEFAULT,
        ImageFormat.TAR_ZST,
        "member 'machine.json' is a hard link to '/etc/shadow'");
  }

  @Test
  void deviceMember() throws Exception {
    assertRejected(
        replacing("disk.img", special("disk.img", TarConstants.LF_BLK)),
        IntakeLimits.DEFAULT,
        ImageFormat.TAR_ZST,
        "member 'disk.img' is a device node");
  }

  @Test
  void fifoMember() throws Exception {
    assertRejected(
        replacing("layer.qcow2", special("layer.qcow2", TarConstants.LF_FIFO)),
        IntakeLimits.DEFAULT,
        ImageFormat.TAR_ZST,
        "member 'layer.qcow2' is a FIFO");
  }

  @Test
  void directoryMember() throws Exception {
    List<TarEntrySpec> m = valid();
    m.add(0, special("disk.img/", TarConstants.LF_DIR));
    assertRejected(
        m, IntakeLimits.DEFAULT, ImageFormat.TAR_ZST, "member 'disk.img/' is a directory");
  }

  @Test
  void extraMember() throws Exception {
    List<TarEntrySpec> m = valid();
    m.add(file("evil.sh", "#!/bin/sh\n"));
    assertRejected(m, IntakeLimits.DEFAULT, ImageFormat.TAR_ZST, "unexpected member 'evil.sh'");
  }

  @Test
  void duplicateMember() throws Exception {
    List<TarEntrySpec> m = valid();
    m.add(file("machine.json", TestImages.MACHINE_JSON));
    assertRejected(
        m,
        IntakeLimits.DEFAULT,
        ImageFormat.TAR_ZST,
        "member 'machine.json' appears more than once");
  }

  @Test
  void missingMember() throws Exception {
    List<TarEntrySpec> m = valid();
    m.removeIf(e -> e.name().equals("layer.qcow2"));
    assertRejected(m, IntakeLimits.DEFAULT, ImageFormat.TAR_ZST, "archive has no 'layer.qcow2'");
  }

  @Test
  void oversizedMember() throws Exception {
    assertRejected(
        valid(),
        IntakeLimits.DEFAULT.withMaxFileBytes(DISK - 1),
        ImageFormat.TAR_ZST,
        "member 'disk.img' is 1048576 bytes, more than the limit of 1048575");
  }

  @Test
  void zipBomb() throws Exception {
    List<TarEntrySpec> m = valid();
    m.set(0, file("disk.img", new byte[32 << 20])); // 32 MiB of zeros, not sparse
    assertRejected(
        m,
        IntakeLimits.DEFAULT.withRatio(1000, 4 << 20),
        ImageFormat.TAR_ZST,
        "decompression ratio exceeds 1000:1",
        "zip bomb");
  }

  @Test
  void truncatedZstd() throws Exception {
    byte[] archive = TestImages.tarZst(valid());
    assertRejected(
        Arrays.copyOf(archive, archive.length / 2),
        IntakeLimits.DEFAULT,
        ImageFormat.TAR_ZST,
        null,
        "the image archive is corrupt or truncated");
  }

  @Test
  void notZstdAtAll() throws Exception {
    assertRejected(
        TestImages.rawDisk(DISK, 3),
        IntakeLimits.DEFAULT,
        ImageFormat.TAR_ZST,
        null,
        "the image is declared tar.zst but starts like neither zstd nor qcow2 (no known magic)");
  }

  @Test
  void wrongSha256() throws Exception {
    byte[] archive = TestImages.tarZst(valid());
    String actual = TestImages.sha256(archive);
    String wrong = "0".repeat(64);
    assertRejected(
        archive,
        IntakeLimits.DEFAULT,
        ImageFormat.TAR_ZST,
        wrong,
        "sha256 mismatch: expected sha256:" + wrong + ", got sha256:" + actual);
  }

  @Test
  void layerBackedByAnAbsolutePath() throws Exception {
    assertRejected(
        replacing(
            "layer.qcow2",
            file(
                "layer.qcow2",
                TestImages.qcow2(work, "-b", "/etc/shadow", "-F", "raw", "-u", "1M"))),
        IntakeLimits.DEFAULT,
        ImageFormat.TAR_ZST,
        "layer.qcow2 must have the backing file 'disk.img', not '/etc/shadow'");
  }

  @Test
  void layerBackedByAParentPath() throws Exception {
    assertRejected(
        replacing(
            "layer.qcow2",
            file("layer.qcow2", TestImages.qcow2(work, "-b", "../x", "-F", "raw", "-u", "1M"))),
        IntakeLimits.DEFAULT,
        ImageFormat.TAR_ZST,
        "layer.qcow2 must have the backing file 'disk.img', not '../x'");
  }

  @Test
  void layerBackedByJson() throws Exception {
    String json = "json:{\"file.driver\":\"file\",\"file.filename\":\"/etc/shadow\"}";
    assertRejected(
        replacing(
            "layer.qcow2",
            file("layer.qcow2", TestImages.qcow2(work, "-b", json, "-F", "raw", "-u", "1M"))),
        IntakeLimits.DEFAULT,
        ImageFormat.TAR_ZST,
        "layer.qcow2 must have the backing file 'disk.img', not '" + json + "'");
  }

  @Test
  void layerWithoutBackingFormat() throws Exception {
    byte[] layer = TestImages.qcow2(work, "-b", "disk.img", "-F", "raw", "-u", "1M");
    // Zero the backing-format extension's type: QEMU would then probe the backing file's format.
    byte[] patched = layer.clone();
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(patched);
    for (int pos = b.getInt(100); b.getInt(pos) != 0; pos += 8 + ((b.getInt(pos + 4) + 7) & ~7)) {
      if (b.getInt(pos) == 0xe2792aca) {
        b.putInt(pos, 0x12345678); // an unknown (ignored) extension instead
      }
    }
    assertRejected(
        replacing("layer.qcow2", file("layer.qcow2", patched)),
        IntakeLimits.DEFAULT,
        ImageFormat.TAR_ZST,
        "layer.qcow2 must declare its backing format raw, not leave it to probing");
  }

  @Test
  void layerWithExternalDataFile() throws Exception {
    Path data = work.resolve("data.raw");
    byte[] layer = TestImages.qcow2(work, "-o", "data_file=" + data, "1M");
    assertRejected(
        replacing("layer.qcow2", file("layer.qcow2", layer)),
        IntakeLimits.DEFAULT,
        ImageFormat.TAR_ZST,
        "layer.qcow2 uses an external data file '" + data + "'");
  }

  @Test
  void qcow2ImageWithExternalDataFileBit() throws Exception {
    byte[] image =
        TestImages.withIncompatibleFeatures(
            TestImages.qcow2(work, "1M"), Qcow2Header.EXTERNAL_DATA_FILE);
    assertRejected(
        image,
        IntakeLimits.DEFAULT,
        ImageFormat.AUTO,
        null,
        "the qcow2 image uses an external data file");
  }

  @Test
  void qcow2ImageWithBackingFile() throws Exception {
    byte[] image =
        TestImages.qcow2(
            work, "-b", "/var/cache/vmtask/sha256/x/disk.img", "-F", "raw", "-u", "1M");
    assertRejected(
        image,
        IntakeLimits.DEFAULT,
        ImageFormat.QCOW2,
        null,
        "the qcow2 image has the backing file '/var/cache/vmtask/sha256/x/disk.img'; a qcow2 image must be standalone");
  }

  @Test
  void dirtyQcow2() throws Exception {
    byte[] image =
        TestImages.withIncompatibleFeatures(TestImages.qcow2(work, "1M"), Qcow2Header.DIRTY);
    assertRejected(
        image, IntakeLimits.DEFAULT, ImageFormat.QCOW2, null, "the qcow2 image is marked dirty");
  }

  @Test
  void qcow2VirtualSizeAboveTheCap() throws Exception {
    byte[] image = TestImages.qcow2(work, "2G");
    assertRejected(
        image,
        IntakeLimits.DEFAULT.withMaxVirtualBytes(1L << 30),
        ImageFormat.QCOW2,
        null,
        "the qcow2 image has a virtual size of 2147483648 bytes, more than the limit of 1073741824");
  }

  @Test
  void rawDiskThatIsReallyQcow2() throws Exception {
    assertRejected(
        replacing("disk.img", file("disk.img", TestImages.qcow2(work, "1M"))),
        IntakeLimits.DEFAULT,
        ImageFormat.TAR_ZST,
        "disk.img is declared raw but starts with the qcow2 magic (format confusion)");
    assertRejected(
        TestImages.qcow2(work, "1M"),
        IntakeLimits.DEFAULT,
        ImageFormat.RAW,
        null,
        "the image is declared raw but starts like a qcow2 file (magic QFI\\xfb) (format confusion)");
  }

  @Test
  void rawDiskThatIsReallyVmdk() throws Exception {
    byte[] vmdk = TestImages.rawDisk(DISK, 4);
    System.arraycopy("KDMV".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, vmdk, 0, 4);
    assertRejected(vmdk, IntakeLimits.DEFAULT, ImageFormat.RAW, null, "starts with the VMDK magic");
  }

  @Test
  void machineJsonTooBig() throws Exception {
    byte[] big = new byte[(1 << 20) + 1];
    Arrays.fill(big, (byte) ' ');
    assertRejected(
        replacing("machine.json", file("machine.json", big)),
        IntakeLimits.DEFAULT,
        ImageFormat.TAR_ZST,
        "machine.json is 1048577 bytes, larger than the limit of 1048576");
  }

  @Test
  void machineJsonInvalid() throws Exception {
    assertRejected(
        replacing("machine.json", file("machine.json", "{\"version\": 1,")),
        IntakeLimits.DEFAULT,
        ImageFormat.TAR_ZST,
        "Invalid JSON in 'machine.json'");
  }

  @Test
  void machineJsonSchemaViolations() throws Exception {
    assertRejected(
        replacing(
            "machine.json",
            file("machine.json", "{\"version\": 1, \"memory\": 0, \"gpu\": \"yes\"}")),
        IntakeLimits.DEFAULT,
        ImageFormat.TAR_ZST,
        "Invalid machine definition in 'machine.json'",
        "memory: must be between 1 and 1048576, got 0",
        "gpu: unknown field");
  }

  @Test
  void sparseMapClaimingMoreDataThanStored() throws Exception {
    // A PAX 0.1 sparse map that would make a reader pull the next members' bytes into disk.img.
    List<TarEntrySpec> m = replacing("disk.img", file("disk.img", "abcd"));
    m.add(0, pax("GNU.sparse.map", "0,1048576", "GNU.sparse.size", "1048576"));
    assertRejected(
        m,
        IntakeLimits.DEFAULT,
        ImageFormat.TAR_ZST,
        "member 'disk.img' has a sparse map of 1048576 bytes but stores 4");
  }

  @Test
  void sparseMapWithOverlappingSegments() throws Exception {
    List<TarEntrySpec> m = replacing("disk.img", file("disk.img", "abcdefgh"));
    m.add(0, pax("GNU.sparse.map", "0,4,2,4", "GNU.sparse.size", "4096"));
    assertRejected(
        m,
        IntakeLimits.DEFAULT,
        ImageFormat.TAR_ZST,
        "member 'disk.img' has an invalid sparse map");
  }

  @Test
  void corruptTarHeader() throws Exception {
    byte[] tar = uncompressedTar(valid());
    tar[0] ^= 0x20; // the first member's name, without fixing the checksum
    assertRejected(
        com.github.luben.zstd.Zstd.compress(tar, 3),
        IntakeLimits.DEFAULT,
        ImageFormat.TAR_ZST,
        null,
        "corrupt tar header (checksum mismatch)");
  }

  /** A PAX extended header member (type 'x') with the given key/value records. */
  private static TarEntrySpec pax(String... keyValues) {
    StringBuilder records = new StringBuilder();
    for (int i = 0; i < keyValues.length; i += 2) {
      String body = " " + keyValues[i] + "=" + keyValues[i + 1] + "\n";
      int len = body.length() + 1;
      while (len != body.length() + Integer.toString(len).length()) {
        len = body.length() + Integer.toString(len).length();
      }
      records.append(len).append(body);
    }
    return new TarEntrySpec(
        "././@PaxHeader",
        (byte) 'x',
        records.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8),
        null);
  }

  private static byte[] uncompressedTar(List<TarEntrySpec> members) throws Exception {
    return com.github.luben.zstd.Zstd.decompress(TestImages.tarZst(members), 64 << 20);
  }
}
