package dev.vmtask.api.task;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** The task's disk, packaged as an image once its command exited 0. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TaskOutput {
  @JsonPropertyDescription(
      "Directory in a PersistentVolumeClaim of the task's namespace where the image archive is"
          + " written (the agent writes it beside, then renames it into place).")
  @Required
  private ArtifactVolume volume;

  @JsonPropertyDescription("File name of the archive in that directory.")
  @Default("image.tar.zst")
  @Pattern("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
  private String fileName;

  @JsonPropertyDescription(
      "Create or update this VMImage (same namespace) to point at the archive, with its sha256,"
          + " once the task succeeded. Nothing is published when the task fails.")
  private OutputImage image;

  public ArtifactVolume getVolume() {
    return volume;
  }

  public void setVolume(ArtifactVolume volume) {
    this.volume = volume;
  }

  public String getFileName() {
    return fileName;
  }

  public void setFileName(String fileName) {
    this.fileName = fileName;
  }

  public OutputImage getImage() {
    return image;
  }

  public void setImage(OutputImage image) {
    this.image = image;
  }

  /** The VMImage a successful build publishes. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class OutputImage {
    @JsonPropertyDescription("Name of the VMImage.")
    @Required
    @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    @ValidationRule(value = "size(self) <= 63", message = "an image name has at most 63 characters")
    private String name;

    public String getName() {
      return name;
    }

    public void setName(String name) {
      this.name = name;
    }
  }
}
