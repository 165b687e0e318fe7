package dev.vmtask.api.task;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** A file or directory copied out of the guest into a PersistentVolumeClaim. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Artifact {
  @JsonPropertyDescription("Artifact name, a DNS label, unique within the task.")
  @Required
  @Size(max = 63)
  @Pattern("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
  private String name;

  @JsonPropertyDescription("Absolute path in the guest.")
  @Required
  @Size(max = 4096)
  @ValidationRule(value = "self.startsWith('/')", message = "artifact path must be absolute")
  private String path;

  @JsonPropertyDescription("file or directory.")
  @Default("file")
  private ArtifactType type;

  @JsonPropertyDescription("Where the artifact is stored.")
  @Required
  private ArtifactVolume volume;

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public String getPath() {
    return path;
  }

  public void setPath(String path) {
    this.path = path;
  }

  public ArtifactType getType() {
    return type;
  }

  public void setType(ArtifactType type) {
    this.type = type;
  }

  public ArtifactVolume getVolume() {
    return volume;
  }

  public void setVolume(ArtifactVolume volume) {
    this.volume = volume;
  }
}
