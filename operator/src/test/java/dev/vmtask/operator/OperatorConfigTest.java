package dev.vmtask.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OperatorConfigTest {
  @Test
  void defaultsMatchTheDocumentation() {
    OperatorConfig c = OperatorConfig.defaults();
    assertThat(c.agentImage()).isEqualTo("vmtask.dev/vmtask-agent:0.1.0");
    assertThat(c.agentImagePullPolicy()).isEqualTo("IfNotPresent");
    assertThat(c.memoryOverheadMiB()).isEqualTo(384);
    assertThat(c.healthPort()).isEqualTo(8080);
    assertThat(c.watchNamespaces()).isEmpty();
    assertThat(c.leaderElection()).isFalse();
  }

  @Test
  void readsListsAndJson() {
    OperatorConfig c =
        OperatorConfig.fromEnv(
            Map.of(
                "VMTASK_WATCH_NAMESPACES", " ci, builds ,",
                "VMTASK_VM_NODE_SELECTOR", "{\"kvm\":\"yes\"}",
                "VMTASK_VM_TOLERATIONS", "[{\"key\":\"vm\",\"operator\":\"Exists\"}]",
                "VMTASK_LEADER_ELECTION", "true"));
    assertThat(c.watchNamespaces()).isEqualTo(Set.of("ci", "builds"));
    assertThat(c.vmNodeSelector()).containsEntry("kvm", "yes");
    assertThat(c.vmTolerations())
        .singleElement()
        .satisfies(t -> assertThat(t.getOperator()).isEqualTo("Exists"));
    assertThat(c.leaderElection()).isTrue();
  }

  @Test
  void badValuesNameTheVariable() {
    assertThatThrownBy(() -> OperatorConfig.fromEnv(Map.of("VMTASK_NODE_MAX_CPUS", "lots")))
        .hasMessage("VMTASK_NODE_MAX_CPUS=lots is invalid: expected an integer");
    assertThatThrownBy(() -> OperatorConfig.fromEnv(Map.of("VMTASK_MEMORY_OVERHEAD_MIB", "-1")))
        .hasMessage("VMTASK_MEMORY_OVERHEAD_MIB=-1 is invalid: expected between 0 and 65536");
    assertThatThrownBy(() -> OperatorConfig.fromEnv(Map.of("VMTASK_LEADER_ELECTION", "yes")))
        .hasMessage("VMTASK_LEADER_ELECTION=yes is invalid: expected one of true, false");
    assertThatThrownBy(() -> OperatorConfig.fromEnv(Map.of("VMTASK_VM_NODE_SELECTOR", "[1]")))
        .hasMessageStartingWith("VMTASK_VM_NODE_SELECTOR=[1] is invalid: expected JSON");
  }
}
