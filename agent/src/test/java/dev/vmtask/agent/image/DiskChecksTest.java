package dev.vmtask.agent.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** qcow2 headers as qemu-img writes them (v2 and v3), and a few corruptions of them. */
class DiskChecksTest {
  @TempDir Path work;

  @Test
  void readsVersion2And3Headers() throws Exception {
    for (String compat : new String[] {"0.10", "1.1"}) {
      Path file =
          TestImages.write(
              work,
              "c" + compat + ".qcow2",
              TestImages.qcow2(work, "-o", "compat=" + compat, "3G"));
      Qcow2Header h = DiskChecks.checkStandaloneQcow2(file, "image", IntakeLimits.DEFAULT);
      assertThat(h.version()).isEqualTo(compat.equals("0.10") ? 2 : 3);
      assertThat(h.virtualSize()).isEqualTo(3L << 30);
      assertThat(h.backingFile()).isNull();
    }
  }

  @Test
  void readsTheLayersBacking() throws Exception {
    Path file = TestImages.write(work, "layer.qcow2", TestImages.layer(work, 1 << 20));
    Qcow2Header h = DiskChecks.checkLayer(file, IntakeLimits.DEFAULT);
    assertThat(h.backingFile()).isEqualTo("disk.img");
    assertThat(h.backingFormat()).isEqualTo("raw");
  }

  @Test
  void rejectsCorruptHeaders() throws Exception {
    byte[] good = TestImages.qcow2(work, "1M");
    byte[] version = good.clone();
    ByteBuffer.wrap(version).putInt(4, 4);
    assertThatThrownBy(() -> check(version)).hasMessage("image has unsupported qcow2 version 4");
    byte[] extension = good.clone();
    ByteBuffer b = ByteBuffer.wrap(extension);
    b.putInt(b.getInt(100), 0x12345678).putInt(b.getInt(100) + 4, 1 << 30); // huge length
    assertThatThrownBy(() -> check(extension))
        .hasMessage("image has a qcow2 header extension out of bounds");
    byte[] backing = good.clone();
    ByteBuffer.wrap(backing).putLong(8, 1L << 40).putInt(16, 8);
    assertThatThrownBy(() -> check(backing))
        .hasMessage("image has an invalid qcow2 backing file name field");
    byte[] unknown = TestImages.withIncompatibleFeatures(good, 1L << 20);
    assertThatThrownBy(() -> check(unknown))
        .hasMessage("image has unknown incompatible qcow2 features 0x100000");
    assertThatThrownBy(() -> check(new byte[16])).hasMessageContaining("is not a qcow2 file");
  }

  private void check(byte[] image) throws Exception {
    DiskChecks.checkStandaloneQcow2(
        TestImages.write(work, "x.qcow2", image), "image", IntakeLimits.DEFAULT);
  }
}
