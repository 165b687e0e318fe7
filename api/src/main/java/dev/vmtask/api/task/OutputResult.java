package dev.vmtask.api.task;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.vmtask.api.image.GuestAgentMode;

/** The image archive a task wrote. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class OutputResult {
  @JsonPropertyDescription("The PersistentVolumeClaim holding it.")
  private String claimName;

  @JsonPropertyDescription("Path of the archive inside the claim.")
  private String path;

  @JsonPropertyDescription("Size of the archive in bytes.")
  private Long sizeBytes;

  @JsonPropertyDescription("SHA-256 of the archive (hex): the sha256 of a VMImage that uses it.")
  private String sha256;

  @JsonPropertyDescription("Virtual size of the packaged disk in bytes.")
  private Long virtualSizeBytes;

  @JsonPropertyDescription("The VMImage created or updated to point at it, if the spec names one.")
  private String image;

  @JsonPropertyDescription(
      "How the guest agent got into the task's VM (CloudInit or Preinstalled); a VMImage published"
          + " from the archive starts it the same way.")
  private GuestAgentMode guestAgent;

  public String getClaimName() {
    return claimName;
  }

  public void setClaimName(String claimName) {
    this.claimName = claimName;
  }

  public String getPath() {
    return path;
  }

  public void setPath(String path) {
    this.path = path;
  }

  public Long getSizeBytes() {
    return sizeBytes;
  }

  public void setSizeBytes(Long sizeBytes) {
    this.sizeBytes = sizeBytes;
  }

  public String getSha256() {
    return sha256;
  }

  public void setSha256(String sha256) {
    this.sha256 = sha256;
  }

  public Long getVirtualSizeBytes() {
    return virtualSizeBytes;
  }

  public void setVirtualSizeBytes(Long virtualSizeBytes) {
    this.virtualSizeBytes = virtualSizeBytes;
  }

  public String getImage() {
    return image;
  }

  public void setImage(String image) {
    this.image = image;
  }

  public GuestAgentMode getGuestAgent() {
    return guestAgent;
  }

  public void setGuestAgent(GuestAgentMode guestAgent) {
    this.guestAgent = guestAgent;
  }
}
