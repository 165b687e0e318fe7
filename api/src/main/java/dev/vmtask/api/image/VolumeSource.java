package dev.vmtask.api.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.vmtask.api.task.ArtifactVolume;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** An image file in a PersistentVolumeClaim of the image's namespace. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class VolumeSource {
  @JsonPropertyDescription("Name of the PersistentVolumeClaim.")
  @Required
  @Size(min = 1, max = 253)
  private String claimName;

  @JsonPropertyDescription("Path of the image file inside the claim (relative, no '..').")
  @Required
  @Size(min = 1, max = 1024)
  @ValidationRule(
      value = ArtifactVolume.RELATIVE_SUB_PATH + " && !self.endsWith('/')",
      message = "path must be a relative file path without '..'")
  private String path;

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
