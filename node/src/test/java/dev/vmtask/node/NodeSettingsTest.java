package dev.vmtask.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeSettingsTest {
  @Test
  void defaultsAreTheChartsAndTheImagesPaths() {
    NodeSettings s = NodeSettings.fromEnv(Map.of());
    assertThat(s.nodeName()).isNull();
    assertThat(s.devicePluginDir()).isEqualTo(Path.of("/var/lib/kubelet/device-plugins"));
    assertThat(s.probeKernel()).isEqualTo(Path.of("/opt/vmtask/probe/vmlinuz"));
    assertThat(s.kvmSlots()).isEqualTo(110);
    assertThat(s.probeTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(s.verdictOverride()).isNull();
    assertThat(s.csiPluginDir()).isEqualTo(Path.of("/var/lib/kubelet/plugins/images.vmtask.dev"));
    assertThat(s.pluginRegistrationDir()).isEqualTo(Path.of("/var/lib/kubelet/plugins_registry"));
    assertThat(s.cacheDir()).isEqualTo(Path.of("/var/lib/vmtask/cache"));
    assertThat(s.cacheMaxBytes()).isEqualTo(20L << 30);
    assertThat(s.imageSharing()).isEqualTo("anonymous");
  }

  @Test
  void badValuesNameTheirVariable() {
    assertThatThrownBy(() -> NodeSettings.fromEnv(Map.of("VMTASK_NODE_KVM_SLOTS", "0")))
        .hasMessage("VMTASK_NODE_KVM_SLOTS=0 is invalid: expected an integer between 1 and 10000");
    assertThatThrownBy(() -> NodeSettings.fromEnv(Map.of("VMTASK_NODE_VERDICT_OVERRIDE", "yes")))
        .hasMessageContaining("VMTASK_NODE_VERDICT_OVERRIDE=yes is invalid");
    assertThat(NodeSettings.fromEnv(Map.of("VMTASK_NODE_VERDICT_OVERRIDE", "")).verdictOverride())
        .isNull();
    assertThatThrownBy(() -> NodeSettings.fromEnv(Map.of("VMTASK_NODE_IMAGE_SHARING", "all")))
        .hasMessageContaining("VMTASK_NODE_IMAGE_SHARING=all is invalid");
    assertThatThrownBy(() -> NodeSettings.fromEnv(Map.of("VMTASK_NODE_CACHE_MAX_BYTES", "1k")))
        .hasMessageContaining("VMTASK_NODE_CACHE_MAX_BYTES=1k is invalid");
  }
}
