package dev.vmtask.api.task;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** A directory in a PersistentVolumeClaim of the task's namespace. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ArtifactVolume {
  /** CEL: a claim's subPath stays inside the claim (also for inputs and image files). */
  public static final String RELATIVE_SUB_PATH =
      "!self.startsWith('/') && self != '..' && !self.startsWith('../')"
          + " && !self.endsWith('/..') && !self.contains('/../')";

  static final String RELATIVE_SUB_PATH_MESSAGE =
      "subPath must be relative and must not contain '..'";

  @JsonPropertyDescription("Name of the PersistentVolumeClaim.")
  @Required
  @Size(min = 1, max = 253)
  private String claimName;

  @JsonPropertyDescription("Relative directory inside the claim (no '..'); default the root.")
  @Size(max = 1024)
  @ValidationRule(value = RELATIVE_SUB_PATH, message = RELATIVE_SUB_PATH_MESSAGE)
  private String subPath;

  public String getClaimName() {
    return claimName;
  }

  public void setClaimName(String claimName) {
    this.claimName = claimName;
  }

  public String getSubPath() {
    return subPath;
  }

  public void setSubPath(String subPath) {
    this.subPath = subPath;
  }
}
