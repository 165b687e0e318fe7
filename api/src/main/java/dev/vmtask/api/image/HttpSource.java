package dev.vmtask.api.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** An HTTP(S) download, with optional request headers taken from Secrets. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class HttpSource {
  @JsonPropertyDescription("URL of the image, http:// or https://.")
  @Required
  @Size(max = 2048)
  @ValidationRule(
      value = "isURL(self) && url(self).getScheme() in ['http', 'https']",
      message = "url must be an absolute http:// or https:// URL")
  private String url;

  @JsonPropertyDescription(
      "Extra request headers (e.g. Authorization), each valued from a Secret key. They are"
          + " given to the node daemon only (the kubelet reads the Secret for it), never to a"
          + " task pod or a guest. All headers take their values from one Secret, and its author"
          + " must be allowed to read it.")
  @Size(max = 16)
  @ValidationRule(
      value = "self.all(h, h.valueFrom.secretKeyRef.name == self[0].valueFrom.secretKeyRef.name)",
      message =
          "all headers must take their values from the same Secret: the node reads that one"
              + " Secret for the image's volume")
  private List<HttpHeader> headers;

  public String getUrl() {
    return url;
  }

  public void setUrl(String url) {
    this.url = url;
  }

  public List<HttpHeader> getHeaders() {
    return headers;
  }

  public void setHeaders(List<HttpHeader> headers) {
    this.headers = headers;
  }
}
