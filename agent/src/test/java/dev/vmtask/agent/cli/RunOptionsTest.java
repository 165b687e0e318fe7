package dev.vmtask.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtask.agent.guest.ArtifactRequest;
import dev.vmtask.agent.image.ImageFormat;
import dev.vmtask.agent.screenshot.ScreenshotRequest;
import dev.vmtask.agent.screenshot.ScreenshotRequest.When;
import dev.vmtask.agent.vm.Acceleration;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunOptionsTest {
  @Test
  void parsesOptionsImageAndCommand() throws Exception {
    RunOptions o =
        RunOptions.parse(
            List.of(
                "--cpus",
                "2",
                "--memory",
                "512",
                "--max-run-time",
                "60",
                "--accel",
                "tcg",
                "--network",
                "outbound",
                "--format",
                "qcow2",
                "--env",
                "A=b=c",
                "--artifact",
                "/root/out/:/tmp/dest",
                "/images/disk.qcow2",
                "--",
                "sh",
                "-c",
                "echo hi"),
            Map.of("VMTASK_CACHE_DIR", "/cache"));

    assertThat(o.task().command().argv()).containsExactly("sh", "-c", "echo hi");
    assertThat(o.task().command().env()).containsEntry("A", "b=c");
    assertThat(o.task().machine().path("cpus").asInt()).isEqualTo(2);
    assertThat(o.task().machine().path("memoryMiB").asInt()).isEqualTo(512);
    assertThat(o.task().maxRunTime()).isEqualTo(Duration.ofSeconds(60));
    assertThat(o.task().acceleration()).isEqualTo(Acceleration.TCG);
    assertThat(o.task().outbound()).isTrue();
    assertThat(o.task().image().format()).isEqualTo(ImageFormat.QCOW2);
    assertThat(o.task().image().url().toString()).isEqualTo("file:///images/disk.qcow2");
    assertThat(o.task().artifacts())
        .containsExactly(new ArtifactRequest("out", "/root/out", true, Path.of("/tmp/dest")));
    assertThat(o.cacheDir()).isEqualTo(Path.of("/cache"));
    assertThat(o.task().screenshot()).isNull();
  }

  @Test
  void screenshotOptions() throws Exception {
    RunOptions always =
        RunOptions.parse(
            List.of("--screenshot", "/tmp/shots", "--screenshot-when", "always", "i", "--", "x"),
            Map.of());
    RunOptions byDefault =
        RunOptions.parse(List.of("--screenshot", "shots", "i", "--", "x"), Map.of());

    assertThat(always.task().screenshot())
        .isEqualTo(new ScreenshotRequest(When.ALWAYS, Path.of("/tmp/shots")));
    assertThat(always.task().screenshot().file()).isEqualTo(Path.of("/tmp/shots/screenshot.png"));
    assertThat(byDefault.task().screenshot())
        .isEqualTo(new ScreenshotRequest(When.ON_FAILURE, Path.of("shots").toAbsolutePath()));
  }

  @Test
  void screenshotOptionsAreChecked() {
    assertThatThrownBy(
            () ->
                RunOptions.parse(List.of("--screenshot-when", "always", "i", "--", "x"), Map.of()))
        .hasMessageContaining("--screenshot-when needs --screenshot DIR");
    assertThatThrownBy(
            () ->
                RunOptions.parse(
                    List.of("--screenshot", "/s", "--screenshot-when", "OnFailure", "i", "--", "x"),
                    Map.of()))
        .hasMessageContaining("--screenshot-when wants always or on-failure, got OnFailure");
  }

  @Test
  void outputBlankDiskAndCdroms() throws Exception {
    RunOptions o =
        RunOptions.parse(
            List.of(
                "--blank-disk",
                "4",
                "--cdrom",
                "a.iso",
                "--cdrom",
                "/b.iso",
                "--output",
                "out/img.tar.zst",
                "--",
                "x"),
            Map.of());

    assertThat(o.task().image()).isNull();
    assertThat(o.task().media().blankDiskBytes()).isEqualTo(4L << 30);
    assertThat(o.task().media().cdroms())
        .extracting(c -> c.source().format())
        .containsExactly(ImageFormat.ISO, ImageFormat.ISO);
    assertThat(o.task().media().cdroms().get(1).source().url().getPath()).isEqualTo("/b.iso");
    assertThat(o.task().output().file()).isEqualTo(Path.of("out/img.tar.zst").toAbsolutePath());
    assertThat(RunOptions.parse(List.of("i", "--", "x"), Map.of()).task().output()).isNull();
  }

  @Test
  void blankDiskAndCdromsAreChecked() {
    assertThatThrownBy(
            () -> RunOptions.parse(List.of("--blank-disk", "4", "i", "--", "x"), Map.of()))
        .hasMessageContaining("IMAGE and --blank-disk exclude each other");
    assertThatThrownBy(
            () ->
                RunOptions.parse(
                    List.of(
                        "--blank-disk",
                        "4",
                        "--cdrom",
                        "a",
                        "--cdrom",
                        "b",
                        "--cdrom",
                        "c",
                        "--",
                        "x"),
                    Map.of()))
        .hasMessageContaining("at most 2 cdroms, got 3");
    assertThatThrownBy(() -> RunOptions.parse(List.of("--blank-disk", "0", "--", "x"), Map.of()))
        .hasMessageContaining("--blank-disk wants a positive integer, got 0");
    assertThatThrownBy(() -> RunOptions.parse(List.of("--blank-disk", "2", "--", "x"), Map.of()))
        .hasMessageContaining("--blank-disk needs a --cdrom to boot from");
  }

  @Test
  void reportsWhatIsWrong() {
    assertThatThrownBy(() -> RunOptions.parse(List.of("img"), Map.of()))
        .hasMessageContaining("COMMAND is missing");
    assertThatThrownBy(() -> RunOptions.parse(List.of("--", "true"), Map.of()))
        .hasMessageContaining("IMAGE is missing (or --blank-disk GIB)");
    assertThatThrownBy(() -> RunOptions.parse(List.of("--cpus", "0", "i", "--", "x"), Map.of()))
        .hasMessageContaining("--cpus wants a positive integer, got 0");
    assertThatThrownBy(() -> RunOptions.parse(List.of("--accel", "hvf", "i", "--", "x"), Map.of()))
        .hasMessageContaining("acceleration must be auto, kvm or tcg");
    assertThatThrownBy(() -> RunOptions.parse(List.of("--bogus", "1", "i", "--", "x"), Map.of()))
        .hasMessageContaining("unknown option --bogus");
    assertThatThrownBy(() -> RunOptions.parse(List.of("--sha256", "xyz", "i", "--", "x"), Map.of()))
        .hasMessageContaining("sha256 must be 64 hex digits");
  }
}
