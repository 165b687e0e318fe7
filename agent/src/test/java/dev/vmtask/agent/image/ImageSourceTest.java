package dev.vmtask.agent.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ImageSourceTest {
  private static final String HEX = "ab".repeat(32);

  @Test
  void normalisesTheDigest() {
    ImageSource s =
        new ImageSource(URI.create("https://x/i"), "sha256:" + HEX.toUpperCase(), null, null);
    assertThat(s.sha256()).isEqualTo(HEX);
    assertThat(s.format()).isEqualTo(ImageFormat.AUTO);
    assertThat(s.headers()).isEmpty();
  }

  @Test
  void rejectsBadInputWithSpecificMessages() {
    assertThatThrownBy(() -> new ImageSource(URI.create("ftp://x/i"), null, null, null))
        .hasMessage("image url must be http, https or file, got 'ftp:' in ftp://x/i");
    assertThatThrownBy(() -> new ImageSource(URI.create("https://x/i"), "abc", null, null))
        .hasMessage("image sha256 must be 64 hex digits, got 'abc'");
    assertThatThrownBy(() -> ImageFormat.parse("vmdk"))
        .hasMessage("unknown image format 'vmdk' (expected tar.zst, qcow2, raw, iso or auto)");
  }

  @Test
  void neverShowsCredentials() {
    ImageSource s =
        new ImageSource(
            URI.create("https://user:pw@host:8443/a/b.tar.zst?X-Amz-Signature=secret"),
            null,
            ImageFormat.TAR_ZST,
            Map.of("Authorization", "Bearer token"));
    assertThat(s.toString())
        .contains("https://host:8443/a/b.tar.zst?…", "[Authorization]")
        .doesNotContain("secret", "token", "pw");
  }

  @Test
  void tarHeadersOfOneMemberAreBounded() throws Exception {
    // A 100 KiB PAX record against a 32 KiB header budget.
    IntakeLimits limits =
        new IntakeLimits(1L << 30, 1L << 30, 1L << 30, 1L << 30, 1000, 64L << 20, 32 << 10);
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (var tar =
        new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(
            new java.io.BufferedOutputStream(
                new com.github.luben.zstd.ZstdOutputStream(bytes), 1 << 16))) {
      var entry = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("disk.img");
      entry.addPaxHeader("comment", "x".repeat(100 << 10));
      tar.putArchiveEntry(entry);
      tar.closeArchiveEntry();
    }
    byte[] archive = bytes.toByteArray();
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("hdr");
    try {
      assertThatThrownBy(
              () ->
                  new ImageIntake(limits)
                      .run(
                          new java.io.ByteArrayInputStream(archive),
                          archive.length,
                          ImageFormat.TAR_ZST,
                          null,
                          dir,
                          p -> {}))
          .isInstanceOf(ImageRejectedException.class)
          .hasMessage("tar headers of one member exceed 32768 bytes");
    } finally {
      ImageCache.deleteTree(dir);
    }
  }
}
