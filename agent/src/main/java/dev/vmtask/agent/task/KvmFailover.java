package dev.vmtask.agent.task;

import dev.vmtask.agent.vm.Acceleration;

/** What an attempt does when KVM fails under its guest. */
enum KvmFailover {
  /** Stop this QEMU and boot the same task again under TCG on a fresh overlay. */
  CONTINUE_UNDER_TCG,
  /** End the attempt as {@link Reason#KvmFailed}. */
  END_KVM_FAILED;

  /**
   * {@code requested} is the task's acceleration, {@code commandFetched} whether the guest already
   * fetched its command.
   */
  static KvmFailover decide(Acceleration requested, boolean commandFetched) {
    if (commandFetched) {
      // The command may have started: booting again would run it twice.
      return END_KVM_FAILED;
    }
    return switch (requested) {
      // auto promised "KVM if it works": it did not, TCG still runs the guest.
      case AUTO -> CONTINUE_UNDER_TCG;
      // kvm was asked for explicitly (e.g. for speed or nested guests): TCG is not what was asked.
      case KVM, TCG -> END_KVM_FAILED;
    };
  }
}
