package dev.vmtask.operator.pod;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtask.api.machine.Chipset;
import dev.vmtask.api.machine.Machine;
import dev.vmtask.operator.OperatorConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResolvedMachineTest {
  private final OperatorConfig config =
      OperatorConfig.fromEnv(
          Map.of(
              "VMTASK_NODE_MAX_CPUS",
              "4",
              "VMTASK_NODE_MAX_MEMORY_MIB",
              "8192",
              "VMTASK_DEFAULT_MEMORY_MIB",
              "768"));

  @Test
  void taskFieldsWinOverImageFieldsAndDefaultsFillTheRest() throws Exception {
    Machine image = new Machine();
    image.setCpus(2);
    image.setChipset(Chipset.Q35);
    image.setMemoryMiB(2048);
    Machine task = new Machine();
    task.setMemoryMiB(1024);
    Machine m = ResolvedMachine.resolve(task, image, config);
    assertThat(m.getCpus()).isEqualTo(2);
    assertThat(m.getMemoryMiB()).isEqualTo(1024);
    assertThat(m.getChipset()).isEqualTo(Chipset.Q35);
    Machine none = ResolvedMachine.resolve(null, null, config);
    assertThat(none.getCpus()).isEqualTo(1);
    assertThat(none.getMemoryMiB()).isEqualTo(768);
  }

  @Test
  void cpusFollowTheTopologyWhenOnlyItIsSet() throws Exception {
    Machine task = new Machine();
    task.setCores(2);
    task.setSockets(2);
    assertThat(ResolvedMachine.resolve(task, null, config).getCpus()).isEqualTo(4);
  }

  @Test
  void machinesBeyondTheNodeOrInconsistentAfterMergingAreInvalid() {
    Machine big = new Machine();
    big.setCpus(8);
    assertThatThrownBy(() -> ResolvedMachine.resolve(big, null, config))
        .hasMessage("8 vCPUs exceed the node limit of 4");
    Machine memory = new Machine();
    memory.setMemoryMiB(16384);
    assertThatThrownBy(() -> ResolvedMachine.resolve(memory, null, config))
        .hasMessage("16384 MiB of memory exceed the node limit of 8192 MiB");
    Machine image = new Machine();
    image.setCpus(3);
    Machine task = new Machine();
    task.setCores(2);
    assertThatThrownBy(() -> ResolvedMachine.resolve(task, image, config))
        .hasMessageContaining("threads*cores*sockets = 2 but cpus = 3");
  }
}
