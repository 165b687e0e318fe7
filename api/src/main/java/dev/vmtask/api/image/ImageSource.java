package dev.vmtask.api.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;

/** Where an image comes from: an HTTP(S) server or a PersistentVolumeClaim. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "has(self.http) != has(self.volume)",
    message = "exactly one of http or volume must be set")
public class ImageSource {
  @JsonPropertyDescription("Download the image over HTTP or HTTPS.")
  private HttpSource http;

  @JsonPropertyDescription(
      "Read the image from a file in a PersistentVolumeClaim (for example a task's output). Each"
          + " pod that needs the image mounts the claim read-only and imports the file into its"
          + " own scratch space with the same checks as a download; the node cache is not used.")
  private VolumeSource volume;

  public HttpSource getHttp() {
    return http;
  }

  public void setHttp(HttpSource http) {
    this.http = http;
  }

  public VolumeSource getVolume() {
    return volume;
  }

  public void setVolume(VolumeSource volume) {
    this.volume = volume;
  }
}
