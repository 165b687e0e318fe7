package dev.vmtask.agent.task;

import static dev.vmtask.agent.task.TaskRunnerFixture.qcow2;
import static dev.vmtask.agent.task.TaskRunnerFixture.qemuProcesses;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtask.agent.screenshot.ScreenshotRequest;
import dev.vmtask.agent.screenshot.ScreenshotRequest.When;
import dev.vmtask.agent.screenshot.StoredScreenshot;
import dev.vmtask.agent.vm.Acceleration;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Screenshots of the real test guest's display under TCG. The test guest's machine has no graphics,
 * so each run also checks that the agent gives it a VGA adapter.
 */
class ScreenshotIT {
  @TempDir Path tmp;
  private TaskRunnerFixture fixture;
  private Path destination;

  @BeforeEach
  void fixture() {
    fixture = new TaskRunnerFixture(tmp);
    destination = tmp.resolve("screenshot");
  }

  @AfterEach
  void noQemuLeft() {
    assertThat(qemuProcesses()).as("QEMU processes left running").isEmpty();
  }

  private Outcome run(String script, Duration maxRunTime, When when) {
    return fixture
        .runner(Duration.ofMinutes(3))
        .run(
            TaskRunnerFixture.task(
                qcow2(),
                script,
                maxRunTime,
                false,
                Acceleration.TCG,
                List.of(),
                new ScreenshotRequest(when, destination)));
  }

  @Test
  void alwaysStoresTheDisplayAfterACompletedCommand() throws Exception {
    Outcome o = run("echo $GREETING", Duration.ofMinutes(2), When.ALWAYS);

    assertThat(o.reason()).as(o.message()).isEqualTo(Reason.Completed);
    assertThat(o.message()).isEqualTo("guest command exited with 0");
    assertThat(fixture.log()).isEqualTo("hello\n");
    assertThat(fixture.diagnostics())
        .contains("graphics none, using VGA: a screenshot needs a display device");
    assertStored(o.screenshot());
  }

  @Test
  void onFailureStoresTheDisplayWhenTheDeadlinePasses() throws Exception {
    Outcome o = run("echo started; sleep 1000", Duration.ofSeconds(5), When.ON_FAILURE);

    assertThat(o.reason()).as(o.message()).isEqualTo(Reason.DeadlineExceeded);
    assertThat(o.message()).doesNotContain("no screenshot");
    assertStored(o.screenshot());
  }

  @Test
  void onFailureStoresNothingForACompletedCommand() {
    Outcome o = run("exit 0", Duration.ofMinutes(2), When.ON_FAILURE);

    assertThat(o.reason()).as(o.message()).isEqualTo(Reason.Completed);
    assertThat(o.message()).isEqualTo("guest command exited with 0");
    assertThat(o.screenshot()).isNull();
    assertThat(destination.resolve("screenshot.png")).doesNotExist();
  }

  /** The file is a decodable PNG of the VGA screen, and the outcome describes exactly it. */
  private void assertStored(StoredScreenshot s) throws Exception {
    Path file = destination.resolve("screenshot.png");
    assertThat(s).isNotNull();
    assertThat(file).exists();
    byte[] bytes = Files.readAllBytes(file);
    BufferedImage image = ImageIO.read(file.toFile());
    assertThat(image).as("decodable PNG").isNotNull();
    assertThat(image.getWidth()).isPositive().isEqualTo(s.width());
    assertThat(image.getHeight()).isPositive().isEqualTo(s.height());
    assertThat(distinctColours(image)).as("distinct colours").isGreaterThan(1);
    assertThat(s.path()).isEqualTo("screenshot.png");
    assertThat(s.sizeBytes()).isEqualTo(bytes.length);
    assertThat(s.sha256())
        .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
    try (var files = Files.list(destination)) {
      assertThat(files).containsExactly(file); // no .part left behind
    }
  }

  private static int distinctColours(BufferedImage image) {
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        colours.add(image.getRGB(x, y));
      }
    }
    return colours.size();
  }
}
