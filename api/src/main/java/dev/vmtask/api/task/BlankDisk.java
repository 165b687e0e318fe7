package dev.vmtask.api.task;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;

/** An empty disk, for a task that installs a system from a cdrom. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class BlankDisk {
  @JsonPropertyDescription(
      "Size of the disk in GiB (1-1024). It is thin: only what the guest writes takes space, up to"
          + " this size, in the pod's scratch volume.")
  @Required
  @Min(1)
  @Max(1024)
  private Integer sizeGiB;

  public Integer getSizeGiB() {
    return sizeGiB;
  }

  public void setSizeGiB(Integer sizeGiB) {
    this.sizeGiB = sizeGiB;
  }
}
