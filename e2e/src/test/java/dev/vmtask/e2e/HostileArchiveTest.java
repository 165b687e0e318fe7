package dev.vmtask.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.luben.zstd.ZstdInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;

/** The hostile fixture really is hostile: its escaping member name survives the tar writer. */
class HostileArchiveTest {
  @Test
  void archiveHoldsAMemberClimbingOutOfTheExtractionDirectory() throws IOException {
    List<String> names = new ArrayList<>();
    try (TarArchiveInputStream tar =
        new TarArchiveInputStream(
            new ZstdInputStream(new ByteArrayInputStream(HostileArchive.withPathEscape())))) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        names.add(e.getName());
      }
    }

    assertThat(names).containsExactly("disk.img", HostileArchive.ESCAPING_MEMBER, "machine.json");
    assertThat(HostileArchive.ESCAPING_MEMBER).startsWith("../");
  }
}
