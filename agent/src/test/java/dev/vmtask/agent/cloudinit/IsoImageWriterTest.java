package dev.vmtask.agent.cloudinit;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IsoImageWriterTest {
  @TempDir Path tmp;

  /** Reads the root directory back the way a reader that knows only ISO 9660 would. */
  private static Map<String, byte[]> readRoot(byte[] iso) {
    ByteBuffer pvd = ByteBuffer.wrap(iso, 16 * 2048, 2048).slice().order(ByteOrder.LITTLE_ENDIAN);
    assertThat(pvd.get(0)).isEqualTo((byte) 1);
    assertThat(new String(iso, 16 * 2048 + 1, 5, US_ASCII)).isEqualTo("CD001");
    assertThat(pvd.getInt(80)).as("volume space size").isEqualTo(iso.length / 2048);
    int rootExtent = pvd.getInt(156 + 2);
    Map<String, byte[]> files = new LinkedHashMap<>();
    int pos = rootExtent * 2048;
    while (iso[pos] != 0) {
      int len = iso[pos] & 0xff;
      ByteBuffer r = ByteBuffer.wrap(iso, pos, len).slice().order(ByteOrder.LITTLE_ENDIAN);
      int nameLen = r.get(32);
      String name = new String(iso, pos + 33, nameLen, US_ASCII);
      if ((r.get(25) & 2) == 0) {
        int extent = r.getInt(2);
        int size = r.getInt(10);
        byte[] data = new byte[size];
        System.arraycopy(iso, extent * 2048, data, 0, size);
        files.put(name, data);
      }
      pos += len;
    }
    return files;
  }

  @Test
  void filesReadBackUnderTheirIsoNames() throws IOException {
    byte[] big = new byte[5000];
    new Random(7).nextBytes(big);
    Path a = Files.write(tmp.resolve("a"), "instance-id: x\n".getBytes(StandardCharsets.UTF_8));
    Path b = Files.write(tmp.resolve("b"), big);
    Path empty = Files.write(tmp.resolve("c"), new byte[0]);
    Path iso = tmp.resolve("out.iso");

    new IsoImageWriter("cidata")
        .add("user-data", b)
        .add("meta-data", a)
        .add("empty", empty)
        .write(iso);

    byte[] bytes = Files.readAllBytes(iso);
    assertThat(bytes.length % 2048).isZero();
    Map<String, byte[]> files = readRoot(bytes);
    assertThat(files.keySet()).containsExactly("EMPTY.;1", "META-DATA.;1", "USER-DATA.;1");
    assertThat(files.get("USER-DATA.;1")).isEqualTo(big);
    assertThat(new String(files.get("META-DATA.;1"), StandardCharsets.UTF_8))
        .isEqualTo("instance-id: x\n");
    assertThat(files.get("EMPTY.;1")).isEmpty();
  }

  @Test
  void blkidSeesAnIso9660VolumeLabelledCidata() throws Exception {
    Path f = Files.writeString(tmp.resolve("m"), "x");
    Path iso = tmp.resolve("cidata.iso");
    new IsoImageWriter("cidata").add("meta-data", f).write(iso);

    Process p =
        new ProcessBuilder("blkid", "-p", "-o", "export", iso.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(out).contains("TYPE=iso9660").contains("LABEL=cidata");
  }

  @Test
  void refusesNamesAReaderWouldMangle() {
    IsoImageWriter w = new IsoImageWriter("cidata");
    assertThatThrownBy(() -> w.add("User-Data", tmp)).hasMessageContaining("invalid file name");
    assertThatThrownBy(() -> w.add("a/b", tmp)).hasMessageContaining("invalid file name");
    assertThatThrownBy(() -> new IsoImageWriter("ci data")).hasMessageContaining("volume id");
  }
}
