package dev.vmtask.agent.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtask.agent.image.ImageFormat;
import dev.vmtask.agent.image.ImageSource;
import dev.vmtask.agent.vm.Acceleration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A build chain on the real test guest under TCG: a task writes a file into its disk, which is
 * packaged as an image; a task booting that image (imported with every check a download gets) reads
 * the file back. A command that exits non-zero packages nothing.
 */
class OutputIT {
  /** The test guest's boot disk is FAT; the build mounts it, as an installer mounts its target. */
  private static final String MOUNT = "mkdir -p /mnt && mount -t vfat /dev/vda /mnt";

  @TempDir Path tmp;

  @Test
  void aBuiltImageBootsAndHoldsWhatTheBuildWrote() throws Exception {
    Path archive = tmp.resolve("out/built.tar.zst");
    Files.createDirectories(archive.getParent());
    TaskRunnerFixture build = new TaskRunnerFixture(tmp.resolve("build"));
    TaskSpec task =
        withOutput(
            task(
                TaskRunnerFixture.archive(),
                MOUNT + " && echo built-by-vmtask > /mnt/built.txt && umount /mnt && echo wrote"),
            archive);

    Outcome built = build.runner(Duration.ofMinutes(3)).run(task);

    assertThat(built.reason()).as(built.message() + "\n" + build.log()).isEqualTo(Reason.Completed);
    assertThat(build.log()).contains("wrote");
    assertThat(built.output()).isNotNull();
    assertThat(built.output().path()).isEqualTo(archive.toString());
    assertThat(built.output().sizeBytes()).isEqualTo(Files.size(archive));
    assertThat(built.output().sha256()).isEqualTo(sha256(archive));
    assertThat(built.output().guestAgent()).isEqualTo("Preinstalled");
    assertThat(built.message()).contains("packaged").contains(built.output().sha256());
    assertThat(siblings(archive)).containsExactly(archive.getFileName().toString());

    TaskRunnerFixture run = new TaskRunnerFixture(tmp.resolve("run"));
    Outcome read =
        run.runner(Duration.ofMinutes(3))
            .run(
                task(
                    ImageSource.ofFile(archive, built.output().sha256(), ImageFormat.TAR_ZST),
                    MOUNT + " && cat /mnt/built.txt"));

    assertThat(read.reason()).as(read.message() + "\n" + run.log()).isEqualTo(Reason.Completed);
    assertThat(run.log()).contains("built-by-vmtask");
    assertThat(read.image().digest()).contains(built.output().sha256());
  }

  @Test
  void aCommandThatFailsPackagesNothing() throws Exception {
    Path archive = tmp.resolve("out/failed.tar.zst");
    Files.createDirectories(archive.getParent());
    TaskRunnerFixture build = new TaskRunnerFixture(tmp.resolve("build"));

    Outcome o =
        build
            .runner(Duration.ofMinutes(3))
            .run(withOutput(task(TaskRunnerFixture.archive(), "echo half-done; exit 3"), archive));

    assertThat(o.reason()).as(o.message()).isEqualTo(Reason.NonZeroExit);
    assertThat(o.output()).isNull();
    assertThat(siblings(archive)).isEmpty();
  }

  private static TaskSpec task(ImageSource image, String script) {
    return TaskRunnerFixture.task(
        image, script, Duration.ofMinutes(3), false, Acceleration.TCG, List.of(), null);
  }

  private static TaskSpec withOutput(TaskSpec t, Path archive) {
    return TaskRunnerFixture.booting(t, t.image(), t.media(), new OutputRequest(archive));
  }

  private static List<String> siblings(Path file) throws Exception {
    try (Stream<Path> s = Files.list(file.getParent())) {
      return s.map(p -> p.getFileName().toString()).toList();
    }
  }

  private static String sha256(Path file) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }
}
