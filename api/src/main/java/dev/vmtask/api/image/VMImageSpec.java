package dev.vmtask.api.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.vmtask.api.machine.Machine;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** What a VMImage is: its source, expected checksum, format and machine defaults. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "has(self.sha256) || (has(self.allowUnverified) && self.allowUnverified)",
    message = "sha256 is required unless allowUnverified is true")
@ValidationRule(
    value = "!has(self.prefetch) || has(self.source.http)",
    message =
        "prefetch needs an http source: an image from a volume is imported by each pod that"
            + " uses it")
public class VMImageSpec {
  @JsonPropertyDescription("Where the image comes from: http or volume.")
  @Required
  private ImageSource source;

  @JsonPropertyDescription(
      "Expected SHA-256 of the downloaded file, 64 lowercase hex digits. Required unless"
          + " allowUnverified is true.")
  @Pattern("^[0-9a-f]{64}$")
  private String sha256;

  @JsonPropertyDescription(
      "Accept an image without a sha256. The first digest seen is then pinned in"
          + " status.digest and a later different digest fails the image.")
  private Boolean allowUnverified;

  @JsonPropertyDescription(
      "Image format: tar.zst (disk.img + layer.qcow2 + machine.json), qcow2, raw, or auto"
          + " (detected from the content).")
  @Default("auto")
  private ImageFormat format;

  @JsonPropertyDescription("Machine defaults for tasks booting this image; a task's fields win.")
  private Machine machine;

  @JsonPropertyDescription(
      "How the vmtask guest agent gets into the VM. CloudInit: a read-only NoCloud config drive"
          + " (label cidata) makes the image's cloud-init start the agent for this boot only;"
          + " the image is not changed and nothing outlives the task. Preinstalled: the image"
          + " starts the agent itself (the binary and systemd unit of docs/guest.md, or"
          + " taskcluster-compatible guest tools). Auto: Preinstalled for tar.zst archives,"
          + " CloudInit for qcow2 and raw disks.")
  @Default("Auto")
  private GuestAgentMode guestAgent;

  @JsonPropertyDescription("Fetch the image ahead of time onto the nodes this selects.")
  private Prefetch prefetch;

  public ImageSource getSource() {
    return source;
  }

  public void setSource(ImageSource source) {
    this.source = source;
  }

  public String getSha256() {
    return sha256;
  }

  public void setSha256(String sha256) {
    this.sha256 = sha256;
  }

  public Boolean getAllowUnverified() {
    return allowUnverified;
  }

  public void setAllowUnverified(Boolean allowUnverified) {
    this.allowUnverified = allowUnverified;
  }

  public ImageFormat getFormat() {
    return format;
  }

  public void setFormat(ImageFormat format) {
    this.format = format;
  }

  public Machine getMachine() {
    return machine;
  }

  public void setMachine(Machine machine) {
    this.machine = machine;
  }

  public GuestAgentMode getGuestAgent() {
    return guestAgent;
  }

  public void setGuestAgent(GuestAgentMode guestAgent) {
    this.guestAgent = guestAgent;
  }

  public Prefetch getPrefetch() {
    return prefetch;
  }

  public void setPrefetch(Prefetch prefetch) {
    this.prefetch = prefetch;
  }
}
