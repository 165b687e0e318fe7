package dev.vmtask.agent.machine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CpuTopologyTest {

  private static Integer opt(String s) {
    return s == null || s.isEmpty() ? null : Integer.valueOf(s);
  }

  /** taskcluster's worked results (research notes, §2.4) for machines without {@code cpus}. */
  @ParameterizedTest(name = "maxCPUs {0}, defaultThreads {1}, cores {2} -> {3}x{4}x{5}")
  @CsvSource({
    "4, 2, , 2, 2, 1",
    "8, 2, , 2, 4, 1",
    "8, 1, , 1, 8, 1",
    "3, 2, , 3, 1, 1",
    "8, 2, 2, 4, 2, 1",
  })
  void taskclusterAlgorithmWithoutCpus(
      int maxCpus, int defaultThreads, String cores, int threads, int coresOut, int sockets)
      throws Exception {
    MachineDefinition m =
        MachineDefinition.builder()
            .cores(opt(cores))
            .build()
            .applyLimits(new MachineLimits(2048, maxCpus, defaultThreads));
    assertThat(new int[] {m.threads(), m.cores(), m.sockets()})
        .containsExactly(threads, coresOut, sockets);
    assertThat(m.cpus()).isEqualTo(threads * coresOut * sockets);
    assertThat(m.memory()).isEqualTo(2048);
  }

  /** A requested count is honoured, not inflated to maxCPUs, and never an odd 3-thread core. */
  @ParameterizedTest(name = "cpus {0} on maxCPUs {1}/defaultThreads {2} -> {3}x{4}x{5}")
  @CsvSource({
    "3, 8, 2, 1, 3, 1",
    "4, 8, 2, 2, 2, 1",
    "1, 8, 2, 1, 1, 1",
    "6, 8, 1, 1, 6, 1",
  })
  void cpusAloneIsTheCount(
      int cpus, int maxCpus, int defaultThreads, int threads, int cores, int sockets)
      throws Exception {
    MachineDefinition m =
        MachineDefinition.builder()
            .cpus(cpus)
            .build()
            .applyLimits(new MachineLimits(1024, maxCpus, defaultThreads));
    assertThat(new int[] {m.threads(), m.cores(), m.sockets()})
        .containsExactly(threads, cores, sockets);
    assertThat(m.cpus()).isEqualTo(cpus);
  }

  @Test
  void cpusWithPartialTopologyFillsUpToTheRequestOnly() throws Exception {
    MachineDefinition m =
        MachineDefinition.builder()
            .cpus(4)
            .sockets(2)
            .build()
            .applyLimits(new MachineLimits(1024, 16, 1));
    // taskcluster would grow cores to 8 (16 CPUs); the request is 4.
    assertThat(new int[] {m.threads(), m.cores(), m.sockets()}).containsExactly(1, 2, 2);
  }

  @Test
  void cpusThatTheTopologyCannotMakeIsRejected() {
    MachineDefinition m = MachineDefinition.builder().cpus(6).cores(4).build();
    assertThatThrownBy(() -> m.applyLimits(new MachineLimits(1024, 16, 2)))
        .isInstanceOf(InvalidMachineException.class)
        .hasMessage(
            "Machine asks for cpus: 6, which threads: unset, cores: 4, sockets: unset cannot make"
                + " (threads*cores*sockets must equal cpus)");
  }

  @Test
  void memoryAboveTheLimitHasTaskclustersMessage() {
    MachineDefinition m = MachineDefinition.builder().memory(4096).build();
    assertThatThrownBy(() -> m.applyLimits(new MachineLimits(2048, 4, 1)))
        .isInstanceOf(InvalidMachineException.class)
        .hasMessage("Machine memory 4096 MiB is larger than allowed machine memory 2048 MiB");
  }

  @Test
  void cpusAboveTheLimitHaveTaskclustersMessage() {
    MachineDefinition m = MachineDefinition.builder().threads(2).cores(2).sockets(2).build();
    assertThatThrownBy(() -> m.applyLimits(new MachineLimits(2048, 4, 1)))
        .isInstanceOf(InvalidMachineException.class)
        .hasMessage(
            "Machine specifies threads: 2, cores: 2, sockets: 2, in total: 8 which is larger than"
                + " 4 total number of cores allowed");
    MachineDefinition many = MachineDefinition.builder().cpus(5).build();
    assertThatThrownBy(() -> many.applyLimits(new MachineLimits(2048, 4, 1)))
        .hasMessageContaining("in total: 5 which is larger than 4");
  }

  @Test
  void memoryRequestIsKept() throws Exception {
    MachineDefinition m =
        MachineDefinition.builder().memory(512).build().applyLimits(new MachineLimits(2048, 2, 1));
    assertThat(m.memory()).isEqualTo(512);
  }

  @Test
  void limitsRejectNonsense() {
    assertThatThrownBy(() -> new MachineLimits(0, 1, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxMemoryMiB");
    assertThatThrownBy(() -> new MachineLimits(1, 256, 1)).hasMessageContaining("maxCPUs");
    assertThatThrownBy(() -> new MachineLimits(1, 1, 0)).hasMessageContaining("defaultThreads");
  }
}
