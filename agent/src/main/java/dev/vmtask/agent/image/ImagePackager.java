package dev.vmtask.agent.image;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import dev.vmtask.agent.machine.MachineJson;
import java.io.File;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Packages a VM disk as a taskcluster image archive ({@code image.tar.zst}, see
 * docs/image-format.md), the reverse of {@link ImageIntake}: the disk and its backing chain are
 * flattened into a sparse raw {@code disk.img}, an empty {@code layer.qcow2} is created on it, and
 * both go with {@code machine.json} into a zstd-compressed tar that GNU tar also extracts. Holes
 * stay out of the archive (GNU sparse 1.0), so the work and the output follow the disk's data, not
 * its virtual size.
 */
public final class ImagePackager {
  private static final int LEVEL = 3;
  private static final int BUFFER = 4 << 20;

  /** Flattening reads and writes the whole disk; the other qemu-img calls only read metadata. */
  private static final long CONVERT_TIMEOUT_SECONDS = 3600;

  private static final long QUICK_TIMEOUT_SECONDS = 300;

  private ImagePackager() {}

  /**
   * What was written: the archive's size and sha256 (hex, lowercase), the disk's virtual size and
   * the bytes of data (non-hole) in it.
   */
  public record Packaged(
      Path file, long sizeBytes, String sha256, long virtualSizeBytes, long dataBytes) {}

  /**
   * Flattens disk (format "qcow2" or "raw", may have a backing chain) into target: written to a
   * temp file beside target, fsynced, then atomically renamed; nothing is left at target or beside
   * it on failure. scratch is a directory for the intermediate flattened disk (deleted afterwards).
   *
   * <p>{@code machineJson} is stored as given, only its size is checked here: pass a definition
   * already validated (e.g. written by {@link MachineJson#toJson}), since the importer parses it
   * again. Parsing it here would cost a fresh JVM about 0.3 s of CPU for loading classes.
   */
  public static Packaged write(
      Path disk, String diskFormat, byte[] machineJson, Path scratch, Path target)
      throws IOException {
    if (!"qcow2".equals(diskFormat) && !"raw".equals(diskFormat)) {
      throw new IllegalArgumentException(
          "disk format must be qcow2 or raw, not '" + diskFormat + "'");
    }
    if (machineJson.length > MachineJson.MAX_BYTES) {
      throw new IllegalArgumentException(
          "machine.json is "
              + machineJson.length
              + " bytes, larger than the importer's limit of "
              + MachineJson.MAX_BYTES);
    }
    Path out = target.toAbsolutePath();
    Path outDir = out.getParent();
    Files.createDirectories(scratch);
    // A directory of our own: the layer's relative backing name needs both files side by side,
    // and concurrent packagers may share scratch.
    Path work = Files.createTempDirectory(scratch.toAbsolutePath(), "package-");
    Path tmp = outDir.resolve("." + out.getFileName() + "." + UUID.randomUUID() + ".tmp");
    boolean moved = false;
    boolean published = false;
    try {
      qemuImg(
          work,
          CONVERT_TIMEOUT_SECONDS,
          "convert",
          "-q",
          "-f",
          diskFormat,
          "-O",
          "raw",
          // Absolute: a name with ':' is then never a protocol, nor one with '-' an option.
          disk.toAbsolutePath().toString(),
          ImageLayout.DISK);
      Path raw = work.resolve(ImageLayout.DISK);
      long virtual = Files.size(raw);
      List<long[]> extents = withoutZeroFirstBlock(raw, dataExtents(work, virtual));
      qemuImg(
          work,
          QUICK_TIMEOUT_SECONDS,
          "create",
          "-q",
          "-f",
          "qcow2",
          "-F",
          "raw",
          "-b",
          ImageLayout.DISK,
          "-o",
          "lazy_refcounts=on",
          ImageLayout.LAYER);
      MessageDigest sha = sha256();
      try (OutputStream sink = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW);
          ZstdOutputStreamNoFinalizer zstd =
              new ZstdOutputStreamNoFinalizer(new DigestOutputStream(sink, sha), LEVEL);
          FileChannel rawIn = FileChannel.open(raw, StandardOpenOption.READ);
          FileChannel layerIn =
              FileChannel.open(work.resolve(ImageLayout.LAYER), StandardOpenOption.READ)) {
        zstd.setChecksum(true); // as the zstd command writes, so a corrupt copy fails to unpack
        zstd.setWorkers(workers());
        TarWriter tar = new TarWriter(zstd, new byte[BUFFER]);
        tar.writeSparse(ImageLayout.DISK, rawIn, virtual, extents);
        tar.writeFile(ImageLayout.LAYER, layerIn, layerIn.size());
        tar.writeFile(ImageLayout.MACHINE, machineJson);
        tar.finish();
      }
      // fsync flushes the file's data whichever descriptor asks.
      try (FileChannel written = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        written.force(true);
      }
      long size = Files.size(tmp);
      Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
      moved = true;
      fsyncDirectory(outDir);
      published = true;
      long data = extents.stream().mapToLong(e -> e[1]).sum();
      return new Packaged(out, size, HexFormat.of().formatHex(sha.digest()), virtual, data);
    } finally {
      if (!published) {
        Files.deleteIfExists(moved ? out : tmp);
      }
      deleteTree(work);
    }
  }

  /**
   * zstd's own threads, compressing while this one reads, hashes and writes: one core fewer than
   * the JVM may use. On 2 cores one worker was fastest, two only when the machine had nothing else
   * to do.
   */
  private static int workers() {
    return Math.max(0, Math.min(Runtime.getRuntime().availableProcessors() - 1, 4));
  }

  /**
   * The data extents ({offset, length}) of the raw {@code disk.img} in {@code work}, from {@code
   * qemu-img map}: ascending, adjacent ones merged, clipped to the file (qemu rounds the last
   * extent up to 512 bytes).
   */
  static List<long[]> dataExtents(Path work, long fileSize) throws IOException {
    byte[] json =
        qemuImg(work, QUICK_TIMEOUT_SECONDS, "map", "--output=json", "-f", "raw", ImageLayout.DISK);
    List<long[]> extents = new ArrayList<>();
    long end = 0;
    // A streaming parser: ObjectMapper would load most of jackson-databind for a list of numbers.
    try (JsonParser p = Json.FACTORY.createParser(json)) {
      if (p.nextToken() != JsonToken.START_ARRAY) {
        throw new IOException("qemu-img map printed no JSON array: " + abbreviate(json));
      }
      while (p.nextToken() == JsonToken.START_OBJECT) {
        long start = -1;
        long length = -1;
        boolean data = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String field = p.currentName();
          JsonToken value = p.nextToken();
          switch (field) {
            case "start" -> start = p.getLongValue();
            case "length" -> length = p.getLongValue();
            case "data" -> data = value == JsonToken.VALUE_TRUE;
            default -> p.skipChildren();
          }
        }
        if (start < end || length < 0) {
          throw new IOException("qemu-img map printed an unexpected extent at " + start);
        }
        end = start + length;
        if (!data || start >= fileSize) {
          continue;
        }
        long clipped = Math.min(length, fileSize - start);
        long[] last = extents.isEmpty() ? null : extents.get(extents.size() - 1);
        if (last != null && last[0] + last[1] == start) {
          last[1] += clipped;
        } else if (clipped > 0) {
          extents.add(new long[] {start, clipped});
        }
      }
      if (p.currentToken() != JsonToken.END_ARRAY) {
        throw new IOException("qemu-img map printed unexpected JSON: " + abbreviate(json));
      }
    }
    return extents;
  }

  /**
   * qemu-img allocates the first block of every raw file it creates (so that later opens can probe
   * the alignment), and writes zeros there if the disk has none: that block is a hole.
   */
  private static List<long[]> withoutZeroFirstBlock(Path raw, List<long[]> extents)
      throws IOException {
    if (extents.isEmpty() || extents.get(0)[0] != 0) {
      return extents;
    }
    long[] first = extents.get(0);
    int block = (int) Math.min(first[1], SparseFileWriter.BLOCK);
    ByteBuffer head = ByteBuffer.allocate(block);
    try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.READ)) {
      while (head.hasRemaining() && ch.read(head, head.position()) >= 0) {}
    }
    if (head.position() < block) {
      return extents; // shorter than the map said: the copy reports it
    }
    for (int i = 0; i < block; i++) {
      if (head.get(i) != 0) {
        return extents;
      }
    }
    List<long[]> rest = new ArrayList<>(extents.subList(1, extents.size()));
    if (first[1] > block) {
      rest.add(0, new long[] {block, first[1] - block});
    }
    return rest;
  }

  private static String abbreviate(byte[] text) {
    String s = new String(text, UTF_8).trim();
    return s.length() > 2000 ? s.substring(0, 2000) + "…" : s;
  }

  private static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Created on first use, not when the class loads. */
  private static final class Json {
    static final JsonFactory FACTORY = new JsonFactory();
  }

  /**
   * Runs qemu-img in {@code dir}: its standard output, or an exception with its standard error.
   * Output goes to files, not pipes, so a chatty qemu-img cannot block on a full pipe.
   */
  private static byte[] qemuImg(Path dir, long timeoutSeconds, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add("qemu-img");
    cmd.addAll(List.of(args));
    String what = "qemu-img " + args[0];
    Path stdout = Files.createTempFile(dir, ".qemu-img-", ".out");
    Path stderr = Files.createTempFile(dir, ".qemu-img-", ".err");
    Process p = null;
    try {
      try {
        p =
            new ProcessBuilder(cmd)
                .directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
      } catch (IOException e) {
        throw new IOException("cannot run qemu-img (is it installed?): " + e.getMessage(), e);
      }
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        throw new IOException(what + " did not finish in " + timeoutSeconds + " s");
      }
      if (p.exitValue() != 0) {
        throw new IOException(
            what
                + " failed (exit "
                + p.exitValue()
                + "): "
                + abbreviate(Files.readAllBytes(stderr)));
      }
      return Files.readAllBytes(stdout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while running " + what);
    } finally {
      if (p != null && p.isAlive()) {
        p.destroyForcibly();
        try {
          p.waitFor(10, TimeUnit.SECONDS); // gone before its directory is deleted
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      Files.deleteIfExists(stdout);
      Files.deleteIfExists(stderr);
    }
  }
}
