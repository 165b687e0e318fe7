package dev.vmtask.api.task;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** A file copied into the guest before its command runs. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "has(self.configMap) != has(self.volume)",
    message = "an input comes from exactly one of configMap and volume")
public class Input {
  @JsonPropertyDescription(
      "Absolute path of the file in the guest; missing directories are created, a file there is"
          + " replaced.")
  @Required
  @Size(min = 2, max = 4096)
  @ValidationRule(
      value =
          "self.startsWith('/') && !self.endsWith('/') && !self.contains('/../')"
              + " && !self.endsWith('/..') && !self.contains('//')",
      message = "input path must be absolute, name a file and not contain '..'")
  private String path;

  @JsonPropertyDescription("A key of a ConfigMap in the task's namespace (binaryData works too).")
  private ConfigMapKey configMap;

  @JsonPropertyDescription("A file on a PersistentVolumeClaim of the task's namespace, read-only.")
  private InputVolume volume;

  @JsonPropertyDescription("Permission bits of the file in the guest, 0-511 (default 420: 0644).")
  @Min(0)
  @Max(511)
  private Integer mode;

  public String getPath() {
    return path;
  }

  public void setPath(String path) {
    this.path = path;
  }

  public ConfigMapKey getConfigMap() {
    return configMap;
  }

  public void setConfigMap(ConfigMapKey configMap) {
    this.configMap = configMap;
  }

  public InputVolume getVolume() {
    return volume;
  }

  public void setVolume(InputVolume volume) {
    this.volume = volume;
  }

  public Integer getMode() {
    return mode;
  }

  public void setMode(Integer mode) {
    this.mode = mode;
  }

  /** A key of a ConfigMap. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class ConfigMapKey {
    @JsonPropertyDescription("Name of the ConfigMap.")
    @Required
    @Size(min = 1, max = 253)
    private String name;

    @JsonPropertyDescription("Key within the ConfigMap.")
    @Required
    @Size(min = 1, max = 253)
    private String key;

    public String getName() {
      return name;
    }

    public void setName(String name) {
      this.name = name;
    }

    public String getKey() {
      return key;
    }

    public void setKey(String key) {
      this.key = key;
    }
  }

  /** A file in a PersistentVolumeClaim. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class InputVolume {
    @JsonPropertyDescription("Name of the PersistentVolumeClaim.")
    @Required
    @Size(min = 1, max = 253)
    private String claimName;

    @JsonPropertyDescription("Relative path of the file inside the claim (no '..').")
    @Required
    @Size(min = 1, max = 1024)
    @ValidationRule(
        value = ArtifactVolume.RELATIVE_SUB_PATH,
        message = ArtifactVolume.RELATIVE_SUB_PATH_MESSAGE)
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
}
