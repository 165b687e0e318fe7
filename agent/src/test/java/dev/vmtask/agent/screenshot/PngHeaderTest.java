package dev.vmtask.agent.screenshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PngHeaderTest {
  @TempDir Path tmp;

  /** A real PNG, encoded by the JDK. */
  static byte[] png(int width, int height) throws Exception {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    image.setRGB(0, 0, 0xffffff);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(ImageIO.write(image, "png", out)).isTrue();
    return out.toByteArray();
  }

  private Path file(byte[] bytes) throws Exception {
    return Files.write(tmp.resolve("f.png"), bytes);
  }

  @Test
  void readsTheDimensionsOfAWholePng() throws Exception {
    assertThat(PngHeader.read(file(png(720, 400)), 1 << 20)).isEqualTo(new PngHeader(720, 400));
  }

  @Test
  void refusesATruncatedPng() throws Exception {
    byte[] whole = png(64, 32);

    assertThatThrownBy(() -> PngHeader.read(file(Arrays.copyOf(whole, whole.length - 5)), 1 << 20))
        .isInstanceOf(ScreenshotException.class)
        .hasMessageContaining("truncated (the PNG does not end in IEND)");
    assertThatThrownBy(() -> PngHeader.read(file(Arrays.copyOf(whole, 20)), 1 << 20))
        .hasMessageContaining("truncated or not a PNG (20 bytes)");
  }

  @Test
  void refusesAFileThatIsNotAPng() throws Exception {
    byte[] ppm = ("P6\n720 400\n255\n" + "x".repeat(100)).getBytes();
    assertThatThrownBy(() -> PngHeader.read(file(ppm), 1 << 20))
        .isInstanceOf(ScreenshotException.class)
        .hasMessageContaining("not a PNG (no PNG signature)");
  }

  @Test
  void refusesAPngWhoseHeaderIsCorrupt() throws Exception {
    byte[] bytes = png(64, 32);
    bytes[17] ^= 1; // a bit of the width: the IHDR CRC no longer matches
    assertThatThrownBy(() -> PngHeader.read(file(bytes), 1 << 20))
        .hasMessageContaining("IHDR CRC mismatch");
  }

  @Test
  void refusesAFileAboveTheSizeLimit() throws Exception {
    byte[] bytes = png(64, 32);
    assertThatThrownBy(() -> PngHeader.read(file(bytes), bytes.length - 1))
        .isInstanceOf(ScreenshotException.class)
        .hasMessageContaining(
            "the screenshot is "
                + bytes.length
                + " bytes, more than the limit of "
                + (bytes.length - 1));
  }
}
