package dev.vmtask.operator.pod;

import dev.vmtask.api.image.GuestAgentMode;
import dev.vmtask.api.image.ImageFormat;
import dev.vmtask.api.machine.Machine;
import dev.vmtask.api.task.Acceleration;
import dev.vmtask.api.task.ArtifactType;
import dev.vmtask.api.task.ScreenshotPolicy;
import dev.vmtask.api.task.TaskNetwork;
import java.util.List;
import java.util.Map;

/**
 * The {@code VMTASK_TASK} JSON of docs/agent-contract.md. {@code kvmDevice} is true when the pod
 * requests the KVM device, which only nodes whose verdict proved KVM offer: the agent uses KVM
 * without probing. Otherwise {@code acceleration} is {@code tcg}. {@code secretEnv} maps guest
 * variables to the agent's variables that the kubelet filled from Secrets.
 */
public record AgentTask(
    String namespace,
    String name,
    String uid,
    Integer attempt,
    Image image,
    Machine machine,
    List<String> command,
    String script,
    Map<String, String> env,
    Map<String, String> secretEnv,
    Integer maxRunTimeSeconds,
    List<Artifact> artifacts,
    TaskNetwork network,
    Acceleration acceleration,
    Boolean kvmDevice,
    Screenshot screenshot,
    Integer keepFailedVMSeconds,
    List<Input> inputs,
    Output output,
    Integer blankDiskGiB,
    List<Cdrom> cdroms) {

  /**
   * The image the node daemon mounted; {@code sha256} is null only for an unverified, not yet
   * pinned image. No headers: their values never reach the pod.
   */
  public record Image(
      String name,
      String url,
      String sha256,
      ImageFormat format,
      Machine machine,
      GuestAgentMode guestAgent) {}

  /** Capture the display; {@code destination} is the directory where its volume is mounted. */
  public record Screenshot(ScreenshotPolicy when, String destination) {}

  /**
   * A cdrom: {@code dir} is where the node daemon mounts it, or null when the agent imports {@code
   * url} (a file in a mounted claim).
   */
  public record Cdrom(String name, String url, String sha256, String dir) {}

  /** Package the disk as {@code destination/fileName} (the output claim's mount). */
  public record Output(String destination, String fileName) {}

  /** An input: the file at {@code source} in the pod goes to {@code path} in the guest. */
  public record Input(String path, String source, Integer mode) {}

  /** An artifact; {@code destination} is the directory where its volume is mounted. */
  public record Artifact(String name, String path, ArtifactType type, String destination) {}
}
