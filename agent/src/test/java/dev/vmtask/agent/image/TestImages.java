package dev.vmtask.agent.image;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** Builds image files for tests: real qcow2 files from qemu-img, archives from commons-compress. */
final class TestImages {
  static final String MACHINE_JSON = "{\"version\": 1, \"memory\": 256, \"network\": \"e1000\"}";

  private TestImages() {}

  /** A raw disk: a fake boot sector and a few data blocks at scattered offsets, rest zeros. */
  static byte[] rawDisk(int size, long seed) {
    byte[] disk = new byte[size];
    Random r = new Random(seed);
    disk[0] = (byte) 0xeb;
    disk[1] = 0x3c;
    disk[510] = 0x55;
    disk[511] = (byte) 0xaa;
    for (int at = 64 * 1024; at + 4096 <= size; at += 256 * 1024) {
      byte[] block = new byte[4096];
      r.nextBytes(block);
      System.arraycopy(block, 0, disk, at, block.length);
    }
    return disk;
  }

  /** Runs qemu-img with the arguments; fails the test if it fails. */
  static void qemuImg(Path dir, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add("qemu-img");
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException("qemu-img " + String.join(" ", args) + " failed: " + out);
    }
  }

  /** taskcluster's empty layer: backing disk.img, format raw. */
  static byte[] layer(Path work, long diskSize) throws Exception {
    return qcow2(work, "-b", "disk.img", "-F", "raw", "-u", Long.toString(diskSize));
  }

  /** A qcow2 file made by qemu-img create with the given options (before the size). */
  static byte[] qcow2(Path work, String... optionsAndSize) throws Exception {
    Path dir = Files.createTempDirectory(work, "qcow2");
    List<String> args = new ArrayList<>(List.of("create", "-q", "-f", "qcow2"));
    args.addAll(List.of(optionsAndSize).subList(0, optionsAndSize.length - 1));
    args.add("out.qcow2");
    args.add(optionsAndSize[optionsAndSize.length - 1]);
    qemuImg(dir, args.toArray(String[]::new));
    return Files.readAllBytes(dir.resolve("out.qcow2"));
  }

  /** Sets the incompatible-features field of a qcow2 v3 header. */
  static byte[] withIncompatibleFeatures(byte[] qcow2, long bits) {
    byte[] copy = qcow2.clone();
    ByteBuffer.wrap(copy).putLong(72, bits);
    return copy;
  }

  /** A tar.zst of the members, in order. */
  static byte[] tarZst(List<TarEntrySpec> members) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream z =
            new java.io.BufferedOutputStream(new ZstdOutputStream(bytes, 3), 1 << 16);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(z)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      for (TarEntrySpec m : members) {
        TarArchiveEntry e =
            m.type() == TarConstants.LF_NORMAL
                ? new TarArchiveEntry(m.name(), true)
                : new TarArchiveEntry(m.name(), m.type(), true);
        if (m.linkName() != null) {
          e.setLinkName(m.linkName());
        }
        e.setSize(m.data().length);
        tar.putArchiveEntry(e);
        tar.write(m.data());
        tar.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  /** A tar member description. */
  record TarEntrySpec(String name, byte type, byte[] data, String linkName) {
    static TarEntrySpec file(String name, byte[] data) {
      return new TarEntrySpec(name, TarConstants.LF_NORMAL, data, null);
    }

    static TarEntrySpec file(String name, String text) {
      return file(name, text.getBytes(UTF_8));
    }

    static TarEntrySpec link(String name, byte type, String target) {
      return new TarEntrySpec(name, type, new byte[0], target);
    }

    static TarEntrySpec special(String name, byte type) {
      return new TarEntrySpec(name, type, new byte[0], null);
    }
  }

  /** The three members of a valid image (disk of {@code diskSize} bytes). */
  static List<TarEntrySpec> validMembers(Path work, int diskSize, long seed) throws Exception {
    return new ArrayList<>(
        List.of(
            TarEntrySpec.file("disk.img", rawDisk(diskSize, seed)),
            TarEntrySpec.file("layer.qcow2", layer(work, diskSize)),
            TarEntrySpec.file("machine.json", MACHINE_JSON)));
  }

  static String sha256(byte[] data) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }

  static Path write(Path dir, String name, byte[] data) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, data);
    return p;
  }
}
