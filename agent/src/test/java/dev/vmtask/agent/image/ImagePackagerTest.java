package dev.vmtask.agent.image;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A qcow2 overlay on a sparse raw base, packaged and then unpacked by the project's importer and by
 * GNU tar: the same disk, still sparse.
 */
class ImagePackagerTest {
  private static final long BASE_SIZE = 64L << 20;
  private static final byte[] MACHINE =
      "{\"version\": 1, \"memory\": 512, \"network\": \"virtio-net-pci\"}\n".getBytes(UTF_8);
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @TempDir Path work;

  @BeforeAll
  static void needsQemuTools() {
    for (String tool : List.of("qemu-img", "qemu-io", "zstd", "tar")) {
      assumeTrue(
          installed(tool),
          tool + " is not installed (Debian: qemu-utils zstd tar); skipping the packager tests");
    }
  }

  @Test
  void theImporterAndGnuTarUnpackTheOverlaysDisk() throws Exception {
    Path overlay = overlayOnSparseBase();
    Path target = Files.createDirectories(work.resolve("out")).resolve("image.tar.zst");
    Path scratch = work.resolve("scratch");

    ImagePackager.Packaged p = ImagePackager.write(overlay, "qcow2", MACHINE, scratch, target);

    assertThat(p.file()).isEqualTo(target.toAbsolutePath());
    assertThat(p.sizeBytes()).isEqualTo(Files.size(target));
    assertThat(p.sha256()).isEqualTo(TestImages.sha256(Files.readAllBytes(target)));
    assertThat(p.virtualSizeBytes()).isEqualTo(BASE_SIZE);
    // About 1.5 MB of data written; holes and zeroed ranges are not data.
    assertThat(p.dataBytes()).isBetween(1L << 20, 2L << 20);
    assertThat(listing(work.resolve("out"))).containsExactly("image.tar.zst");
    assertThat(listing(scratch)).as("scratch after packaging").isEmpty();

    // (a) The project's importer, with all its checks.
    ImageCache cache = ImageCache.open(work.resolve("cache"), 1L << 40);
    Path imported;
    try (ImageLease lease =
        cache.acquire(ImageSource.ofFile(target, p.sha256(), ImageFormat.TAR_ZST), q -> {})) {
      assertThat(lease.digest()).isEqualTo("sha256:" + p.sha256());
      assertThat(lease.sizeBytes()).isEqualTo(p.sizeBytes());
      assertThat(lease.virtualSizeBytes()).isEqualTo(BASE_SIZE);
      Path layer = lease.baseDisk();
      assertThat(layer.getFileName().toString()).isEqualTo("layer.qcow2");
      imported = layer.resolveSibling("disk.img");
      assertThat(compare(imported, "raw", overlay)).isEqualTo("Images are identical.");
      assertThat(compare(layer, "qcow2", overlay)).isEqualTo("Images are identical.");
      JsonNode info = MAPPER.readTree(run(work, "qemu-img", "info", "--output=json", "-U", layer));
      assertThat(info.path("backing-filename").asText()).isEqualTo("disk.img");
      assertThat(info.path("backing-filename-format").asText()).isEqualTo("raw");
      assertThat(lease.machine()).hasValueSatisfying(m -> assertThat(m.memory()).isEqualTo(512));
      assertThat(allocatedBytes(imported)).isLessThan(BASE_SIZE / 8);

      // (b) GNU tar: the same files, and the disk stays sparse.
      Path gnu = Files.createDirectories(work.resolve("gnu"));
      run(gnu, "bash", "-o", "pipefail", "-c", "zstd -dcq \"$0\" | tar -xS", target);
      assertThat(listing(gnu)).containsExactlyInAnyOrder("disk.img", "layer.qcow2", "machine.json");
      assertThat(Files.size(gnu.resolve("disk.img"))).isEqualTo(BASE_SIZE);
      assertThat(Files.mismatch(gnu.resolve("disk.img"), imported)).isEqualTo(-1);
      assertThat(Files.mismatch(gnu.resolve("layer.qcow2"), layer)).isEqualTo(-1);
      assertThat(Files.readAllBytes(gnu.resolve("machine.json"))).isEqualTo(MACHINE);
      assertThat(allocatedBytes(gnu.resolve("disk.img"))).isLessThan(BASE_SIZE / 8);
      assertThat(compare(gnu.resolve("layer.qcow2"), "qcow2", overlay))
          .isEqualTo("Images are identical.");
    }
    // The cache keeps the parsed definition; the extractor under it has the member's bytes.
    Path unpacked = Files.createDirectories(work.resolve("unpacked"));
    try (var in = Files.newInputStream(target)) {
      TarZstExtractor.Unpacked u = new TarZstExtractor(IntakeLimits.DEFAULT).extract(in, unpacked);
      assertThat(u.machineJson()).isEqualTo(MACHINE);
      assertThat(u.diskSize()).isEqualTo(BASE_SIZE);
    }
    assertThat(Files.mismatch(unpacked.resolve("disk.img"), work.resolve("gnu/disk.img")))
        .isEqualTo(-1);
    String listing =
        run(work, "bash", "-o", "pipefail", "-c", "zstd -dcq \"$0\" | TZ=UTC tar -tv", target);
    assertThat(listing.lines().toList())
        .hasSize(3)
        .allSatisfy(l -> assertThat(l).startsWith("-rw-r--r-- 0/0"))
        .allSatisfy(l -> assertThat(l).contains(" 1970-01-01 "));
    assertThat(listing.lines().map(l -> l.substring(l.lastIndexOf(' ') + 1)))
        .containsExactly("disk.img", "layer.qcow2", "machine.json");
  }

  @Test
  void aRawDiskOfHolesOnly() throws Exception {
    Path disk = work.resolve("empty.img");
    try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
      f.setLength(32L << 20);
    }
    Path target = work.resolve("empty.tar.zst");
    ImagePackager.Packaged p =
        ImagePackager.write(disk, "raw", MACHINE, work.resolve("scratch"), target);
    assertThat(p.dataBytes()).isZero();
    assertThat(p.virtualSizeBytes()).isEqualTo(32L << 20);
    assertThat(p.sizeBytes()).isLessThan(64 << 10);

    ImageCache cache = ImageCache.open(work.resolve("cache"), 1L << 40);
    try (ImageLease lease =
        cache.acquire(ImageSource.ofFile(target, p.sha256(), ImageFormat.AUTO), q -> {})) {
      Path imported = lease.baseDisk().resolveSibling("disk.img");
      assertThat(Files.size(imported)).isEqualTo(32L << 20);
      assertThat(compare(imported, "raw", disk)).isEqualTo("Images are identical.");
      assertThat(lease.entry().allocatedBytes()).isLessThan(1 << 20); // the layer only
    }
    Path gnu = Files.createDirectories(work.resolve("gnu"));
    run(gnu, "bash", "-o", "pipefail", "-c", "zstd -dcq \"$0\" | tar -xS", target);
    assertThat(Files.size(gnu.resolve("disk.img"))).isEqualTo(32L << 20);
    assertThat(allocatedBytes(gnu.resolve("disk.img"))).isZero();
  }

  @Test
  void aFailingQemuImgLeavesNothingBehind() throws Exception {
    Path out = Files.createDirectories(work.resolve("out"));
    Path scratch = work.resolve("scratch");
    Path missing = work.resolve("missing.qcow2");
    assertThatThrownBy(
            () ->
                ImagePackager.write(
                    missing, "qcow2", MACHINE, scratch, out.resolve("image.tar.zst")))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("qemu-img convert failed (exit 1): ")
        .hasMessageContaining(missing.toString());
    assertThat(listing(out)).isEmpty();
    assertThat(listing(scratch)).isEmpty();
  }

  @Test
  void refusesWhatTheImporterWouldRefuseBeforeAnyWork() throws Exception {
    Path disk = work.resolve("d.img");
    try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
      f.setLength(1 << 20);
    }
    Path out = Files.createDirectories(work.resolve("out"));
    Path scratch = work.resolve("scratch");
    byte[] tooLarge = new byte[(1 << 20) + 1];
    assertThatThrownBy(
            () -> ImagePackager.write(disk, "raw", tooLarge, scratch, out.resolve("x.tar.zst")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("machine.json is 1048577 bytes, larger than the importer's limit of 1048576");
    assertThatThrownBy(
            () -> ImagePackager.write(disk, "vmdk", MACHINE, scratch, out.resolve("x.tar.zst")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("disk format must be qcow2 or raw, not 'vmdk'");
    assertThat(listing(out)).isEmpty();
    assertThat(listing(scratch)).isEmpty();
  }

  /**
   * A 64 MiB raw base with random and text-like data at scattered offsets (including its last
   * bytes) and holes elsewhere, and a qcow2 overlay that writes over a hole and zeroes base data.
   */
  private Path overlayOnSparseBase() throws Exception {
    Path base = work.resolve("base.img");
    Random r = new Random(42);
    try (RandomAccessFile f = new RandomAccessFile(base.toFile(), "rw")) {
      f.setLength(BASE_SIZE);
      byte[] boot = new byte[512];
      boot[0] = (byte) 0xeb;
      boot[510] = 0x55;
      boot[511] = (byte) 0xaa;
      f.write(boot);
      long[] offsets = {1 << 20, 3L << 20, (17L << 20) + 4096, 33L << 20, (48L << 20) + 512};
      for (int i = 0; i < offsets.length; i++) {
        byte[] data = new byte[(i + 1) * 100_000];
        if (i % 2 == 0) {
          r.nextBytes(data);
        } else {
          for (int j = 0; j < data.length; j++) {
            data[j] = (byte) ('a' + r.nextInt(20));
          }
        }
        f.seek(offsets[i]);
        f.write(data);
      }
      f.seek(BASE_SIZE - 4096);
      byte[] tail = new byte[4096];
      r.nextBytes(tail);
      f.write(tail);
    }
    run(
        work,
        "qemu-img",
        "create",
        "-q",
        "-f",
        "qcow2",
        "-F",
        "raw",
        "-b",
        base.toString(),
        "overlay.qcow2");
    Path overlay = work.resolve("overlay.qcow2");
    run(work, "qemu-io", "-f", "qcow2", "-c", "write -P 0xab 5M 64k", overlay);
    run(work, "qemu-io", "-f", "qcow2", "-c", "write -z 1M 64k", overlay); // zeroes base data
    run(work, "qemu-io", "-f", "qcow2", "-c", "write -P 0x11 3000k 8k", overlay);
    return overlay;
  }

  private static String compare(Path a, String formatA, Path b) throws Exception {
    String formatB = b.getFileName().toString().endsWith(".qcow2") ? "qcow2" : "raw";
    return run(
            a.getParent(),
            "qemu-img",
            "compare",
            "-U",
            "-f",
            formatA,
            "-F",
            formatB,
            a.toString(),
            b.toString())
        .trim();
  }

  private static List<String> listing(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(f -> f.getFileName().toString()).toList();
    }
  }

  private static long allocatedBytes(Path file) throws Exception {
    String[] parts = run(file.getParent(), "stat", "-c", "%b %B", file).trim().split(" ");
    return Long.parseLong(parts[0]) * Long.parseLong(parts[1]);
  }

  private static boolean installed(String tool) {
    try {
      Process p =
          new ProcessBuilder("sh", "-c", "command -v \"$0\"", tool)
              .redirectErrorStream(true)
              .start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  /** Runs a command in dir; returns its output, or fails the test with it. */
  private static String run(Path dir, Object... command) throws Exception {
    List<String> cmd = new ArrayList<>();
    for (Object c : command) {
      cmd.add(c.toString());
    }
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(String.join(" ", cmd) + ": " + out).isZero();
    return out;
  }
}
