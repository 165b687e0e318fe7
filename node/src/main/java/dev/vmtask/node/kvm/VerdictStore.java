package dev.vmtask.node.kvm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The node's verdict on disk, taken once per node boot and again when the kernel, QEMU or the probe
 * guest changes: its key names all four, and a verdict with another key is not used.
 */
public final class VerdictStore {
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

  private final Path file;

  public VerdictStore(Path stateDir) {
    this.file = stateDir.resolve("kvm-verdict.json");
  }

  /** The stored verdict when it was taken under {@code key}; a damaged file counts as none. */
  public Optional<KvmVerdict> load(String key) {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      KvmVerdict v = JSON.readValue(file.toFile(), KvmVerdict.class);
      return v != null && key.equals(v.key()) && v.reason() != null
          ? Optional.of(v)
          : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Written to a temporary file and moved into place, so a reader never sees half of it. */
  public void save(KvmVerdict verdict) throws IOException {
    Files.createDirectories(file.getParent());
    Path tmp = Files.createTempFile(file.getParent(), ".kvm-verdict", ".tmp");
    try {
      JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), verdict);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * The key of a verdict taken now: this boot of the node, its kernel, QEMU's version and the probe
   * guest's files.
   */
  public static String currentKey(String qemuBinary, Path kernel, Path initrd)
      throws IOException, InterruptedException {
    return "boot="
        + Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).strip()
        + " kernel="
        + Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip()
        + " qemu="
        + qemuVersion(qemuBinary)
        + " probe="
        + digest(kernel, initrd);
  }

  private static String qemuVersion(String qemuBinary) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(qemuBinary, "--version").redirectErrorStream(true).start();
    String out;
    try (InputStream in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    p.waitFor();
    return out.lines().findFirst().orElse("unknown").strip();
  }

  private static String digest(Path... files) throws IOException {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (Path f : files) {
        if (Files.isReadable(f)) {
          sha.update(Files.readAllBytes(f));
        }
      }
      return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
