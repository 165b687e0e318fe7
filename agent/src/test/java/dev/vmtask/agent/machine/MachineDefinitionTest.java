package dev.vmtask.agent.machine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MachineDefinitionTest {

  @Test
  void withDefaultsTakesOnlyUnsetFields() {
    MachineDefinition task =
        MachineDefinition.builder().memory(512).network("virtio-net-pci").build();
    MachineDefinition image =
        MachineDefinition.builder().memory(2048).network("e1000").graphics("VGA").build();
    MachineDefinition m = task.withDefaults(image).withDefaults(MachineDefinition.BUILT_IN);
    assertThat(m.memory()).isEqualTo(512);
    assertThat(m.network()).isEqualTo("virtio-net-pci");
    assertThat(m.graphics()).isEqualTo("VGA");
    assertThat(m.storage()).isEqualTo("virtio-blk-pci");
    assertThat(m.chipset()).isEqualTo("pc");
  }

  @Test
  void cpuShapeIsInheritedAsOneUnit() {
    MachineDefinition task = MachineDefinition.builder().cpus(4).build();
    MachineDefinition image = MachineDefinition.builder().cores(3).threads(1).build();
    MachineDefinition m = task.withDefaults(image);
    assertThat(m.cpus()).isEqualTo(4);
    assertThat(m.cores()).isNull();
    assertThat(m.threads()).isNull();
    MachineDefinition noRequest = MachineDefinition.EMPTY.withDefaults(image);
    assertThat(noRequest.cores()).isEqualTo(3);
  }

  @Test
  void builtInIsABatchMachine() {
    MachineDefinition b = MachineDefinition.BUILT_IN;
    assertThat(b.graphics()).isEqualTo("none");
    assertThat(b.network()).isEqualTo("e1000");
    assertThat(b.storage()).isEqualTo("virtio-blk-pci");
    assertThat(b.chipset()).isEqualTo("pc");
    assertThat(b.uuid()).isNull();
    assertThat(b.mac()).isNull();
  }

  @Test
  void identityIsFreshPerVmAndValid() {
    Random random = new Random(42);
    Set<String> macs = new HashSet<>();
    Set<String> uuids = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      MachineDefinition m = MachineDefinition.EMPTY.withIdentity(random);
      assertThat(m.mac()).matches(MachineSchema.MAC);
      assertThat(m.uuid()).matches(MachineSchema.UUID);
      macs.add(m.mac());
      uuids.add(m.uuid());
    }
    assertThat(macs).hasSize(200);
    assertThat(uuids).hasSize(200);
  }

  @Test
  void identityKeepsAChosenUuidAndMac() {
    MachineDefinition m =
        MachineDefinition.builder()
            .uuid("52bab607-10f1-4049-a0f8-ee4725cb715b")
            .mac("aa:54:1a:30:5c:de")
            .build()
            .withIdentity(new Random(1));
    assertThat(m.uuid()).isEqualTo("52bab607-10f1-4049-a0f8-ee4725cb715b");
    assertThat(m.mac()).isEqualTo("aa:54:1a:30:5c:de");
  }

  @Test
  void resolveAppliesPrecedenceDefaultsIdentityAndLimits() throws Exception {
    MachineDefinition task = MachineDefinition.builder().cpus(2).build();
    MachineDefinition image = MachineDefinition.builder().memory(768).sound("AC97").build();
    MachineDefinition node = MachineDefinition.builder().sound("ES1370").chipset("q35").build();
    MachineDefinition m =
        MachineDefinition.resolve(
            List.of(task, image, node), new MachineLimits(1024, 4, 1), new Random(7));
    assertThat(m.cpus()).isEqualTo(2);
    assertThat(new int[] {m.threads(), m.cores(), m.sockets()}).containsExactly(1, 2, 1);
    assertThat(m.memory()).isEqualTo(768);
    assertThat(m.sound()).isEqualTo("AC97");
    assertThat(m.chipset()).isEqualTo("q35");
    assertThat(m.keyboardLayout()).isEqualTo("en-us");
    assertThat(m.mac()).matches(MachineSchema.MAC);
  }

  @Test
  void aStandaloneDiskGetsVirtioUnlessALayerAsksOtherwise() throws Exception {
    MachineLimits limits = new MachineLimits(1024, 4, 1);
    MachineDefinition plain =
        MachineDefinition.resolve(
            List.of(MachineDefinition.EMPTY, MachineDefinition.STANDALONE_DISK),
            limits,
            new Random(1));
    assertThat(plain.network()).isEqualTo("virtio-net-pci");
    assertThat(plain.storage()).isEqualTo("virtio-blk-pci");

    MachineDefinition asked = MachineDefinition.builder().network("e1000").build();
    assertThat(
            MachineDefinition.resolve(
                    List.of(asked, MachineDefinition.STANDALONE_DISK), limits, new Random(1))
                .network())
        .isEqualTo("e1000");
    // an archive's machine.json without a network keeps taskcluster's default
    assertThat(MachineDefinition.resolve(List.of(), limits, new Random(1)).network())
        .isEqualTo("e1000");
  }

  @Test
  void flagsAreCopiedDefensively() {
    java.util.ArrayList<String> flags = new java.util.ArrayList<>();
    MachineDefinition m = MachineDefinition.builder().flags(flags).build();
    flags.add("x");
    assertThat(m.flags()).isEmpty();
  }
}
