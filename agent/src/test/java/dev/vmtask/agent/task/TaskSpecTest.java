package dev.vmtask.agent.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtask.agent.screenshot.ScreenshotRequest;
import dev.vmtask.agent.screenshot.ScreenshotRequest.When;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TaskSpecTest {
  /** A minimal task with {@code extra} JSON members appended. */
  private static TaskSpec parse(String extra) throws TaskSpecException {
    return TaskSpec.parse(
        "{\"image\": {\"url\": \"http://images/disk.qcow2\"}, \"command\": [\"true\"]"
            + extra
            + "}",
        Map.of());
  }

  @Test
  void secretEnvValuesComeFromTheAgentsEnvironment() throws Exception {
    String json =
        "{\"image\": {\"url\": \"http://images/disk.qcow2\"}, \"command\": [\"true\"],"
            + " \"env\": {\"PLAIN\": \"p\"}, \"secretEnv\": {\"TOKEN\": \"VMTASK_SECRET_ENV_1\"}}";
    TaskSpec t = TaskSpec.parse(json, Map.of("VMTASK_SECRET_ENV_1", "s3cret"));
    assertThat(t.command().env()).containsEntry("PLAIN", "p").containsEntry("TOKEN", "s3cret");
    assertThatThrownBy(() -> TaskSpec.parse(json, Map.of()))
        .isInstanceOf(TaskSpecException.class)
        .hasMessageContaining("guest variable TOKEN")
        .hasMessageNotContaining("s3cret");
  }

  @Test
  void inputsAreNumberedInOrderWithTheirMode() throws Exception {
    TaskSpec t =
        parse(
            ", \"inputs\": [{\"path\": \"/root/a\", \"source\": \"/inputs/0/file\"},"
                + " {\"path\": \"/root/b\", \"source\": \"/inputs/1/file\", \"mode\": 493}]");
    assertThat(t.command().inputs())
        .extracting(i -> i.name() + " " + i.path() + " " + i.source() + " " + i.mode())
        .containsExactly("0 /root/a /inputs/0/file 420", "1 /root/b /inputs/1/file 493");
    assertThatThrownBy(() -> parse(", \"inputs\": [{\"path\": \"rel\", \"source\": \"/x\"}]"))
        .hasMessageContaining("absolute path");
  }

  @Test
  void keepFailedVmIsReadAndDefaultsToZero() throws Exception {
    assertThat(parse("").keepFailedVm()).isZero();
    assertThat(parse(", \"keepFailedVMSeconds\": 600").keepFailedVm()).hasSeconds(600);
  }

  @Test
  void theKvmDeviceFlagIsReadAndDefaultsToFalse() throws Exception {
    assertThat(parse("").kvmDevice()).isFalse();
    assertThat(parse(", \"kvmDevice\": true").kvmDevice()).isTrue();
  }

  @Test
  void screenshotObjectIsParsed() throws Exception {
    assertThat(
            parse(", \"screenshot\": {\"when\": \"Always\", \"destination\": \"/shots\"}")
                .screenshot())
        .isEqualTo(new ScreenshotRequest(When.ALWAYS, Path.of("/shots")));
    assertThat(
            parse(", \"screenshot\": {\"when\": \"OnFailure\", \"destination\": \"/s\"}")
                .screenshot())
        .isEqualTo(new ScreenshotRequest(When.ON_FAILURE, Path.of("/s")));
  }

  @Test
  void screenshotWhenDefaultsToOnFailure() throws Exception {
    assertThat(parse(", \"screenshot\": {\"destination\": \"/s\"}").screenshot().when())
        .isEqualTo(When.ON_FAILURE);
    assertThat(
            parse(", \"screenshot\": {\"when\": null, \"destination\": \"/s\"}")
                .screenshot()
                .when())
        .isEqualTo(When.ON_FAILURE);
  }

  @Test
  void absentNullAndTheRetiredFalseMeanNoScreenshot() throws Exception {
    assertThat(parse("").screenshot()).isNull();
    assertThat(parse(", \"screenshot\": null").screenshot()).isNull();
    assertThat(parse(", \"screenshot\": false").screenshot()).isNull();
  }

  @Test
  void badScreenshotsAreRefusedWithTheField() {
    assertThatThrownBy(
            () -> parse(", \"screenshot\": {\"when\": \"Never\", \"destination\": \"/s\"}"))
        .isInstanceOf(TaskSpecException.class)
        .hasMessage("invalid task: screenshot.when must be Always or OnFailure, got 'Never'");
    assertThatThrownBy(() -> parse(", \"screenshot\": {\"when\": \"Always\"}"))
        .isInstanceOf(TaskSpecException.class)
        .hasMessageContaining("screenshot.destination is required");
    assertThatThrownBy(() -> parse(", \"screenshot\": {\"destination\": \"shots\"}"))
        .hasMessageContaining("screenshot.destination must be an absolute path, got shots");
    assertThatThrownBy(() -> parse(", \"screenshot\": true"))
        .isInstanceOf(TaskSpecException.class)
        .hasMessageContaining("screenshot must be an object with when and destination");
    assertThatThrownBy(() -> parse(", \"screenshot\": {\"when\": 1, \"destination\": \"/s\"}"))
        .hasMessageContaining("screenshot.when must be Always or OnFailure, got 1");
  }

  @Test
  void onFailureMeansEveryEndingButExitZero() {
    ScreenshotRequest onFailure = new ScreenshotRequest(When.ON_FAILURE, Path.of("/s"));
    ScreenshotRequest always = new ScreenshotRequest(When.ALWAYS, Path.of("/s"));

    assertThat(onFailure.wanted(Reason.Completed)).isFalse();
    assertThat(onFailure.wanted(Reason.NonZeroExit)).isTrue();
    assertThat(onFailure.wanted(Reason.DeadlineExceeded)).isTrue();
    assertThat(onFailure.wanted(Reason.GuestUnresponsive)).isTrue();
    assertThat(onFailure.wanted(Reason.ArtifactFailed)).isTrue();
    assertThat(onFailure.wanted(Reason.Aborted)).isTrue();
    assertThat(always.wanted(Reason.Completed)).isTrue();
    assertThat(always.wanted(Reason.NonZeroExit)).isTrue();
  }
}
