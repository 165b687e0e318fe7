package dev.vmtask.api.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** What the operator observed about a VMImage. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class VMImageStatus {
  @JsonPropertyDescription("Pending, Ready or Failed.")
  private ImagePhase phase;

  @JsonPropertyDescription("Conditions; type Ready.")
  private List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription("Digest of the downloaded file, sha256:<hex>. Pinned once seen.")
  private String digest;

  @JsonPropertyDescription("The first 12 hex digits of digest, for display.")
  private String shortDigest;

  @JsonPropertyDescription("Size of the downloaded file in bytes.")
  private Long sizeBytes;

  @JsonPropertyDescription("Virtual size of the boot disk in bytes.")
  private Long virtualSizeBytes;

  @JsonPropertyDescription("Nodes known to hold the image in their cache.")
  private List<ImageNode> nodes = new ArrayList<>();

  @JsonPropertyDescription("The metadata.generation this status describes.")
  private Long observedGeneration;

  @JsonPropertyDescription("Human-readable detail, e.g. why the image failed.")
  private String message;

  public ImagePhase getPhase() {
    return phase;
  }

  public void setPhase(ImagePhase phase) {
    this.phase = phase;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }

  public String getDigest() {
    return digest;
  }

  public void setDigest(String digest) {
    this.digest = digest;
  }

  public String getShortDigest() {
    return shortDigest;
  }

  public void setShortDigest(String shortDigest) {
    this.shortDigest = shortDigest;
  }

  public Long getSizeBytes() {
    return sizeBytes;
  }

  public void setSizeBytes(Long sizeBytes) {
    this.sizeBytes = sizeBytes;
  }

  public Long getVirtualSizeBytes() {
    return virtualSizeBytes;
  }

  public void setVirtualSizeBytes(Long virtualSizeBytes) {
    this.virtualSizeBytes = virtualSizeBytes;
  }

  public List<ImageNode> getNodes() {
    return nodes;
  }

  public void setNodes(List<ImageNode> nodes) {
    this.nodes = nodes;
  }

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }
}
