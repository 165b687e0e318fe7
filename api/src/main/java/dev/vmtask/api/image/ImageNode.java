package dev.vmtask.api.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A node known to hold an image in its cache. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ImageNode {
  @JsonPropertyDescription("Node name.")
  private String name;

  @JsonPropertyDescription("When the image was last seen on that node (RFC 3339).")
  private String lastSeen;

  public ImageNode() {}

  public ImageNode(String name, String lastSeen) {
    this.name = name;
    this.lastSeen = lastSeen;
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public String getLastSeen() {
    return lastSeen;
  }

  public void setLastSeen(String lastSeen) {
    this.lastSeen = lastSeen;
  }
}
