package dev.vmtask.api.task;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** An artifact the agent stored. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ArtifactResult {
  @JsonPropertyDescription("Artifact name from the spec.")
  private String name;

  @JsonPropertyDescription("Stored size in bytes.")
  private Long sizeBytes;

  @JsonPropertyDescription("SHA-256 of a file artifact (hex).")
  private String sha256;

  @JsonPropertyDescription("The PersistentVolumeClaim holding it.")
  private String claimName;

  @JsonPropertyDescription("Path inside the claim.")
  private String path;

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
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
}
