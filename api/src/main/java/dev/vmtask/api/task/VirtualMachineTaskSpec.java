package dev.vmtask.api.task;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.vmtask.api.machine.Machine;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;

/** What to run: the image, the machine, the command and what to keep. Immutable once created. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "self == oldSelf",
    message = "spec is immutable once created; delete the task and create a new one")
@ValidationRule(
    value = "has(self.image) != has(self.blankDisk)",
    message = "exactly one of image or blankDisk must be set")
@ValidationRule(
    value = "!has(self.blankDisk) || (has(self.cdroms) && size(self.cdroms) > 0)",
    message = "a blank disk needs a cdrom to boot from")
@ValidationRule(
    value = "has(self.command) != has(self.script)",
    message = "exactly one of command or script must be set")
@ValidationRule(
    value =
        "!has(self.artifacts) || self.artifacts.all(a, self.artifacts.exists_one(b, b.name == a.name))",
    message = "artifact names must be unique")
@ValidationRule(
    value = "!has(self.env) || self.env.all(e, self.env.exists_one(f, f.name == e.name))",
    message = "env names must be unique")
@ValidationRule(
    value = "!has(self.inputs) || self.inputs.all(i, self.inputs.exists_one(j, j.path == i.path))",
    message = "input paths must be unique")
@ValidationRule(
    value =
        "!has(self.screenshot) || !has(self.machine) || !has(self.machine.graphics)"
            + " || self.machine.graphics != 'none'",
    message = "a screenshot needs a display: remove machine.graphics none or the screenshot")
public class VirtualMachineTaskSpec {
  @JsonPropertyDescription(
      "Name of the VMImage to boot, in the task's namespace. Exactly one of image and blankDisk.")
  @Size(min = 1, max = 253)
  private String image;

  @JsonPropertyDescription(
      "Boot a blank disk instead of an image: the cdroms boot first, and the command runs in the"
          + " system they start (which must bring the guest agent), for example to install onto"
          + " the disk; with output, the installed disk becomes an image.")
  private BlankDisk blankDisk;

  @JsonPropertyDescription(
      "Read-only cdroms (VMImages of format iso), at most two; they boot before the disk when it"
          + " is blank.")
  @Size(max = 2)
  private List<Cdrom> cdroms;

  @JsonPropertyDescription("Machine overrides; unset fields come from the image, then the node.")
  private Machine machine;

  @JsonPropertyDescription("The command to run in the guest, as an argv (exclusive with script).")
  @Size(min = 1, max = 256)
  private List<String> command;

  @JsonPropertyDescription("A shell script run with /bin/sh in the guest (exclusive with command).")
  @Size(max = 262144)
  private String script;

  @JsonPropertyDescription("Environment variables of the guest command.")
  @Size(max = 128)
  private List<EnvVar> env;

  @JsonPropertyDescription(
      "Wall-clock limit of the guest command in seconds (1-604800); then it fails with"
          + " DeadlineExceeded.")
  @Min(1)
  @Max(604800)
  @Default("3600")
  private Integer maxRunTimeSeconds;

  @JsonPropertyDescription(
      "Files copied into the guest before the command runs, from ConfigMaps or claims; each at"
          + " most the node's artifact size limit. A missing file ends the task as InputFailed.")
  @Size(max = 64)
  private List<Input> inputs;

  @JsonPropertyDescription("Files or directories copied out of the guest into volumes when done.")
  @Size(max = 64)
  private List<Artifact> artifacts;

  @JsonPropertyDescription(
      "How many times a failed attempt is retried (0-10), with exponential backoff from 10 s;"
          + " retryPolicy says which failures count. ImageFailed, InvalidMachine, KvmFailed,"
          + " KvmUnavailable and PodRejected are never retried.")
  @Min(0)
  @Max(10)
  @Default("0")
  private Integer backoffLimit;

  @JsonPropertyDescription(
      "Which failed attempts backoffLimit retries; default: the infrastructure's failures, not"
          + " the guest command's (NonZeroExit, DeadlineExceeded).")
  private RetryPolicy retryPolicy;

  @JsonPropertyDescription(
      "Wall-clock limit of the whole task in seconds, from its creation: waiting for its image or"
          + " a node, every attempt and every backoff. Past it the task fails with"
          + " DeadlineExceeded and its pod is deleted. Unset: only maxRunTimeSeconds per attempt.")
  @Min(1)
  @Max(2592000)
  private Long activeDeadlineSeconds;

  @JsonPropertyDescription(
      "Keep the VM of an attempt whose command exited non-zero running up to this many seconds"
          + " more (0-86400), for kubectl vmtask shell, console and vnc; it stops sooner when the"
          + " guest powers off. The attempt's pod deadline grows by it, activeDeadlineSeconds still"
          + " bounds it, and the Inspecting condition is True meanwhile.")
  @Min(0)
  @Max(86400)
  private Integer keepFailedVMSeconds;

  @JsonPropertyDescription("Delete the task this many seconds after it finished.")
  @Min(0)
  private Long ttlSecondsAfterFinished;

  @JsonPropertyDescription("Guest network: none (default) or outbound (NAT, no inbound).")
  @Default("none")
  private TaskNetwork network;

  @JsonPropertyDescription("Labels a node must have to run the task (merged with the operator's).")
  private Map<String, String> nodeSelector;

  @JsonPropertyDescription("Tolerations of the task's pod (added to the operator's).")
  @Size(max = 32)
  private List<Toleration> tolerations;

  @JsonPropertyDescription("Affinity of the task's pod.")
  private Affinity affinity;

  @JsonPropertyDescription(
      "kvm requests devices.vmtask.dev/kvm, which the node daemon offers only on nodes whose"
          + " KVM verdict proved it (KvmUnavailable when no VM node does; KvmFailed when it fails"
          + " under the guest); auto does the same where the chart declares KVM on VM nodes and"
          + " runs TCG (software emulation) otherwise, also when KVM fails before the guest"
          + " fetched its command; tcg never uses KVM. status.accelerationMessage says why.")
  @Default("auto")
  private Acceleration acceleration;

  @JsonPropertyDescription(
      "Capture the VM's display as a PNG before the VM is stopped; status.screenshot says where.")
  private Screenshot screenshot;

  @JsonPropertyDescription(
      "Package the task's disk as an image (tar.zst: disk.img, layer.qcow2, machine.json) once"
          + " the command exited 0 and the guest powered off, into a claim; optionally publish"
          + " it as a VMImage. status.output gives its path, size and sha256.")
  private TaskOutput output;

  public String getImage() {
    return image;
  }

  public void setImage(String image) {
    this.image = image;
  }

  public Machine getMachine() {
    return machine;
  }

  public void setMachine(Machine machine) {
    this.machine = machine;
  }

  public List<String> getCommand() {
    return command;
  }

  public void setCommand(List<String> command) {
    this.command = command;
  }

  public String getScript() {
    return script;
  }

  public void setScript(String script) {
    this.script = script;
  }

  public List<EnvVar> getEnv() {
    return env;
  }

  public void setEnv(List<EnvVar> env) {
    this.env = env;
  }

  public Integer getMaxRunTimeSeconds() {
    return maxRunTimeSeconds;
  }

  public void setMaxRunTimeSeconds(Integer maxRunTimeSeconds) {
    this.maxRunTimeSeconds = maxRunTimeSeconds;
  }

  public List<Artifact> getArtifacts() {
    return artifacts;
  }

  public void setArtifacts(List<Artifact> artifacts) {
    this.artifacts = artifacts;
  }

  public Integer getBackoffLimit() {
    return backoffLimit;
  }

  public void setBackoffLimit(Integer backoffLimit) {
    this.backoffLimit = backoffLimit;
  }

  public List<Input> getInputs() {
    return inputs;
  }

  public void setInputs(List<Input> inputs) {
    this.inputs = inputs;
  }

  public Integer getKeepFailedVMSeconds() {
    return keepFailedVMSeconds;
  }

  public void setKeepFailedVMSeconds(Integer keepFailedVMSeconds) {
    this.keepFailedVMSeconds = keepFailedVMSeconds;
  }

  public Long getTtlSecondsAfterFinished() {
    return ttlSecondsAfterFinished;
  }

  public void setTtlSecondsAfterFinished(Long ttlSecondsAfterFinished) {
    this.ttlSecondsAfterFinished = ttlSecondsAfterFinished;
  }

  public TaskNetwork getNetwork() {
    return network;
  }

  public void setNetwork(TaskNetwork network) {
    this.network = network;
  }

  public Map<String, String> getNodeSelector() {
    return nodeSelector;
  }

  public void setNodeSelector(Map<String, String> nodeSelector) {
    this.nodeSelector = nodeSelector;
  }

  public List<Toleration> getTolerations() {
    return tolerations;
  }

  public void setTolerations(List<Toleration> tolerations) {
    this.tolerations = tolerations;
  }

  public Affinity getAffinity() {
    return affinity;
  }

  public void setAffinity(Affinity affinity) {
    this.affinity = affinity;
  }

  public Acceleration getAcceleration() {
    return acceleration;
  }

  public void setAcceleration(Acceleration acceleration) {
    this.acceleration = acceleration;
  }

  public Screenshot getScreenshot() {
    return screenshot;
  }

  public void setScreenshot(Screenshot screenshot) {
    this.screenshot = screenshot;
  }

  public RetryPolicy getRetryPolicy() {
    return retryPolicy;
  }

  public void setRetryPolicy(RetryPolicy retryPolicy) {
    this.retryPolicy = retryPolicy;
  }

  public Long getActiveDeadlineSeconds() {
    return activeDeadlineSeconds;
  }

  public void setActiveDeadlineSeconds(Long activeDeadlineSeconds) {
    this.activeDeadlineSeconds = activeDeadlineSeconds;
  }

  public TaskOutput getOutput() {
    return output;
  }

  public void setOutput(TaskOutput output) {
    this.output = output;
  }

  public BlankDisk getBlankDisk() {
    return blankDisk;
  }

  public void setBlankDisk(BlankDisk blankDisk) {
    this.blankDisk = blankDisk;
  }

  public List<Cdrom> getCdroms() {
    return cdroms;
  }

  public void setCdroms(List<Cdrom> cdroms) {
    this.cdroms = cdroms;
  }
}
