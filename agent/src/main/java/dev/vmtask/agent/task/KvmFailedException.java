package dev.vmtask.agent.task;

/**
 * KVM failed before the guest fetched its command under {@code acceleration: auto}: nothing of the
 * task ran, so the runner boots it again under TCG. The message is QEMU's words for the failure.
 */
final class KvmFailedException extends Exception {
  KvmFailedException(String qemuSays) {
    super(qemuSays);
  }
}
