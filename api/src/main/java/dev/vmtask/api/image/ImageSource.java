package dev.vmtask.api.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** Where an image comes from; only HTTP(S) for now. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ImageSource {
  @JsonPropertyDescription("Download the image over HTTP or HTTPS.")
  @Required
  private HttpSource http;

  public HttpSource getHttp() {
    return http;
  }

  public void setHttp(HttpSource http) {
    this.http = http;
  }
}
