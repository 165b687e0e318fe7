package dev.vmtask.agent.task;

import static dev.vmtask.agent.task.KvmFailover.CONTINUE_UNDER_TCG;
import static dev.vmtask.agent.task.KvmFailover.END_KVM_FAILED;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtask.agent.vm.Acceleration;
import org.junit.jupiter.api.Test;

class KvmFailoverTest {
  @Test
  void autoContinuesUnderTcgWhileTheGuestHasNotFetchedItsCommand() {
    assertThat(KvmFailover.decide(Acceleration.AUTO, false)).isEqualTo(CONTINUE_UNDER_TCG);
  }

  @Test
  void autoEndsOnceTheCommandWasFetched() {
    // the command may be running: a second boot would run it twice
    assertThat(KvmFailover.decide(Acceleration.AUTO, true)).isEqualTo(END_KVM_FAILED);
  }

  @Test
  void explicitKvmAlwaysEnds() {
    assertThat(KvmFailover.decide(Acceleration.KVM, false)).isEqualTo(END_KVM_FAILED);
    assertThat(KvmFailover.decide(Acceleration.KVM, true)).isEqualTo(END_KVM_FAILED);
  }
}
