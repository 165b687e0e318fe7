package dev.vmtask.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How script results reach Java: output on success, output in the exception on failure. */
class TestbedScriptsTest {
  @TempDir Path dir;

  @Test
  void returnsTheKubeconfigPathTheScriptPrints() throws IOException {
    script("testbed.sh", "echo \"  /state/kubeconfig/admin.kubeconfig\"");

    assertThat(new TestbedScripts(dir).kubeconfig())
        .isEqualTo(Path.of("/state/kubeconfig/admin.kubeconfig"));
  }

  @Test
  void passesTheModeAsArguments() throws IOException {
    script("testbed.sh", "echo \"args: $*\"");

    assertThat(new TestbedScripts(dir).up(Mode.CONTROL_PLANE))
        .isEqualTo("args: up --control-plane-only\n");
    assertThat(new TestbedScripts(dir).up(Mode.FULL)).isEqualTo("args: up\n");
  }

  @Test
  void failureCarriesExitCodeAndOutput() throws IOException {
    script("testbed.sh", "echo 'testbed: kubelet: exited during start-up' >&2; exit 3");

    assertThatThrownBy(() -> new TestbedScripts(dir).up(Mode.FULL))
        .isInstanceOf(TestbedException.class)
        .hasMessageContaining("testbed.sh up failed with exit code 3")
        .hasMessageContaining("testbed: kubelet: exited during start-up");
  }

  private void script(String name, String body) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }
}
