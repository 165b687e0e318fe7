package dev.vmtask.agent.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtask.agent.image.ImageCache;
import dev.vmtask.agent.image.ImageFormat;
import dev.vmtask.agent.image.ImageLease;
import dev.vmtask.agent.image.ImageSource;
import dev.vmtask.agent.screenshot.ScreenshotRequest;
import dev.vmtask.agent.testing.GuestTestImage;
import dev.vmtask.agent.vm.Acceleration;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An image built from nothing on the real test guest under TCG: a blank disk and a bootable ISO
 * (the test guest's kernel and initramfs with isolinux, made by guest/build-test-image.sh with
 * xorriso). The cdrom boots first, its system writes the blank disk, a screenshot shows the
 * display, and the disk is packaged as an image that holds what was written.
 */
class FromScratchIT {
  private static final String MARK = "installed-from-cdrom";

  @TempDir Path tmp;

  @Test
  void aCdromBootsFirstAndInstallsOntoABlankDisk() throws Exception {
    Path archive = tmp.resolve("out/installed.tar.zst");
    Files.createDirectories(archive.getParent());
    TaskRunnerFixture fixture = new TaskRunnerFixture(tmp.resolve("install"));
    TaskSpec base =
        TaskRunnerFixture.task(
            null,
            "grep -c vda /proc/partitions; printf " + MARK + " | dd of=/dev/vda conv=notrunc; sync",
            Duration.ofMinutes(3),
            false,
            Acceleration.TCG,
            List.of(),
            new ScreenshotRequest(ScreenshotRequest.When.ALWAYS, tmp.resolve("shots")));
    Files.createDirectories(tmp.resolve("shots"));
    BootMedia media =
        new BootMedia(
            64L << 20,
            List.of(
                new BootMedia.Cdrom(
                    ImageSource.ofFile(GuestTestImage.cdrom(), null, ImageFormat.ISO), null)));
    TaskSpec task = TaskRunnerFixture.booting(base, null, media, new OutputRequest(archive));

    Outcome o = fixture.runner(Duration.ofMinutes(3)).run(task);

    assertThat(o.reason()).as(o.message() + "\n" + fixture.log()).isEqualTo(Reason.Completed);
    assertThat(fixture.diagnostics()).anyMatch(l -> l.startsWith("screenshot stored"));
    assertThat(Files.size(tmp.resolve("shots/screenshot.png"))).isPositive();
    assertThat(o.output()).isNotNull();
    // The packaged disk is the installed one: imported with every check, it starts with the mark.
    ImageCache cache = ImageCache.open(tmp.resolve("check-cache"), 1L << 30);
    try (ImageLease lease =
        cache.acquire(
            ImageSource.ofFile(archive, o.output().sha256(), ImageFormat.TAR_ZST), p -> {})) {
      assertThat(lease.virtualSizeBytes()).isEqualTo(64L << 20);
      try (InputStream disk = Files.newInputStream(lease.baseDisk().resolveSibling("disk.img"))) {
        assertThat(new String(disk.readNBytes(MARK.length()), StandardCharsets.US_ASCII))
            .isEqualTo(MARK);
      }
    }
  }

  @Test
  void anImageThatIsNotAnIsoIsRefusedAsACdrom() throws Exception {
    TaskRunnerFixture fixture = new TaskRunnerFixture(tmp.resolve("bad"));
    TaskSpec base =
        TaskRunnerFixture.task(
            null, "true", Duration.ofMinutes(1), false, Acceleration.TCG, List.of(), null);
    TaskSpec task =
        TaskRunnerFixture.booting(
            base,
            null,
            new BootMedia(
                64L << 20,
                List.of(
                    new BootMedia.Cdrom(
                        ImageSource.ofFile(GuestTestImage.qcow2(), null, ImageFormat.ISO), null))),
            null);

    Outcome o = fixture.runner(Duration.ofMinutes(1)).run(task);

    assertThat(o.reason()).isEqualTo(Reason.ImageFailed);
    assertThat(o.message()).contains("declared iso").contains("CD001");
  }
}
