package dev.vmtask.e2e;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * A tar.zst VM image an attacker would publish: besides a plausible disk it holds a member whose
 * path climbs out of the extraction directory. Built in memory, nothing committed.
 */
final class HostileArchive {
  static final String ESCAPING_MEMBER = "../../../../tmp/vmtask-escaped";

  private HostileArchive() {}

  static byte[] withPathEscape() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new ZstdOutputStream(bytes))) {
      add(tar, "disk.img", new byte[64 * 1024]);
      add(tar, ESCAPING_MEMBER, "written outside the cache\n".getBytes(StandardCharsets.UTF_8));
      add(tar, "machine.json", "{\"version\":1}".getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot build the hostile archive", e);
    }
    return bytes.toByteArray();
  }

  private static void add(TarArchiveOutputStream tar, String name, byte[] content)
      throws IOException {
    // The tar entry constructor would normalise "../" away; preserveAbsolutePath keeps it.
    TarArchiveEntry entry = new TarArchiveEntry(name, true);
    entry.setSize(content.length);
    tar.putArchiveEntry(entry);
    tar.write(content);
    tar.closeArchiveEntry();
  }
}
