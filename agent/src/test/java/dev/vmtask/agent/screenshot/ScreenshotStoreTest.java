package dev.vmtask.agent.screenshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScreenshotStoreTest {
  @TempDir Path tmp;

  private final ScreenshotStore store = new ScreenshotStore(1 << 20);

  @Test
  void copiesThePngIntoANewDestinationWithItsDigest() throws Exception {
    byte[] png = PngHeaderTest.png(720, 400);
    Path dump = Files.write(tmp.resolve("screen.png"), png);
    Path dest = tmp.resolve("volume/sub");

    StoredScreenshot s =
        store.store(dump, new ScreenshotRequest(ScreenshotRequest.When.ALWAYS, dest));

    assertThat(dest.resolve("screenshot.png")).hasBinaryContent(png);
    assertThat(s)
        .isEqualTo(
            new StoredScreenshot(
                png.length,
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(png)),
                "screenshot.png",
                720,
                400));
    try (var files = Files.list(dest)) {
      assertThat(files).containsExactly(dest.resolve("screenshot.png")); // no .part left
    }
  }

  @Test
  void replacesASymlinkAtTheNameInsteadOfFollowingIt() throws Exception {
    Path dump = Files.write(tmp.resolve("screen.png"), PngHeaderTest.png(8, 8));
    Path dest = Files.createDirectories(tmp.resolve("dest"));
    Path victim = Files.writeString(tmp.resolve("victim"), "keep");
    Files.createSymbolicLink(dest.resolve("screenshot.png"), victim);

    store.store(dump, new ScreenshotRequest(ScreenshotRequest.When.ALWAYS, dest));

    assertThat(victim).hasContent("keep");
    assertThat(Files.isSymbolicLink(dest.resolve("screenshot.png"))).isFalse();
  }

  @Test
  void storesNothingWhenTheDumpIsNotAPng() throws Exception {
    Path dump = Files.writeString(tmp.resolve("screen.png"), "P6\n1 1\n255\nabc" + "x".repeat(64));
    Path dest = tmp.resolve("dest");

    assertThatThrownBy(
            () -> store.store(dump, new ScreenshotRequest(ScreenshotRequest.When.ALWAYS, dest)))
        .isInstanceOf(ScreenshotException.class)
        .hasMessageContaining("not a PNG");
    assertThat(dest.resolve("screenshot.png")).doesNotExist();
  }

  @Test
  void saysWhyTheDestinationCannotBeWritten() throws Exception {
    Path dump = Files.write(tmp.resolve("screen.png"), PngHeaderTest.png(8, 8));
    Path notADirectory = Files.writeString(tmp.resolve("file"), "x");

    assertThatThrownBy(
            () ->
                store.store(
                    dump,
                    new ScreenshotRequest(
                        ScreenshotRequest.When.ALWAYS, notADirectory.resolve("sub"))))
        .isInstanceOf(ScreenshotException.class)
        .hasMessageStartingWith("cannot store the screenshot in " + notADirectory.resolve("sub"))
        .hasMessageEndingWith(": Not a directory");
  }
}
