package dev.vmtask.agent.cloudinit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtask.agent.image.ImageFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CloudInitDriveTest {
  @TempDir Path tmp;

  @Test
  void carriesTheAgentAndACloudConfigThatStartsIt() throws IOException {
    Path agent = Files.write(tmp.resolve("vmtask-guest"), new byte[] {0x7f, 'E', 'L', 'F'});
    Path vm = Files.createDirectory(tmp.resolve("vm"));

    Path iso = CloudInitDrive.write(vm, agent, "vmtask-1234");

    String content = new String(Files.readAllBytes(iso), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(content).contains("instance-id: vmtask-1234");
    assertThat(content).contains("#cloud-config\n").contains("bootcmd:");
    assertThat(content).contains("LABEL=cidata").contains("systemd-run");
    assertThat(content).contains("systemctl is-enabled --quiet vmtask-guest.service");
    assertThat(CloudInitDrive.USER_DATA).startsWith("#cloud-config\n");
  }

  @Test
  void aMissingAgentBinarySaysHowToBuildIt() {
    assertThatThrownBy(() -> CloudInitDrive.write(tmp, tmp.resolve("nope"), "vmtask-1"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("guest/build-agent.sh")
        .hasMessageContaining("VMTASK_GUEST_AGENT");
  }

  @Test
  void instanceIdsCannotInjectYaml() {
    assertThatThrownBy(() -> CloudInitDrive.metaData("x\nhostname: evil"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void autoIsPreinstalledForArchivesAndCloudInitForDisks() {
    assertThat(GuestAgentMode.AUTO.resolve(ImageFormat.TAR_ZST))
        .isEqualTo(GuestAgentMode.PREINSTALLED);
    assertThat(GuestAgentMode.AUTO.resolve(ImageFormat.QCOW2)).isEqualTo(GuestAgentMode.CLOUD_INIT);
    assertThat(GuestAgentMode.AUTO.resolve(ImageFormat.RAW)).isEqualTo(GuestAgentMode.CLOUD_INIT);
    assertThat(GuestAgentMode.PREINSTALLED.resolve(ImageFormat.QCOW2))
        .isEqualTo(GuestAgentMode.PREINSTALLED);
    assertThat(GuestAgentMode.parse("CloudInit")).isEqualTo(GuestAgentMode.CLOUD_INIT);
    assertThat(GuestAgentMode.parse("cloud-init")).isEqualTo(GuestAgentMode.CLOUD_INIT);
    assertThat(GuestAgentMode.parse(null)).isEqualTo(GuestAgentMode.AUTO);
    assertThatThrownBy(() -> GuestAgentMode.parse("ssh")).hasMessageContaining("CloudInit");
  }
}
