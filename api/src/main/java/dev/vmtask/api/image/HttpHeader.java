package dev.vmtask.api.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** One HTTP request header whose value comes from a Secret. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class HttpHeader {
  @JsonPropertyDescription("Header name, e.g. Authorization.")
  @Required
  @Pattern("^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$")
  private String name;

  @JsonPropertyDescription("Where the header value comes from.")
  @Required
  private HeaderValueSource valueFrom;

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public HeaderValueSource getValueFrom() {
    return valueFrom;
  }

  public void setValueFrom(HeaderValueSource valueFrom) {
    this.valueFrom = valueFrom;
  }
}
