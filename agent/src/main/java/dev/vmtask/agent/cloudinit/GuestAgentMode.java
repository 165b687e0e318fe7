package dev.vmtask.agent.cloudinit;

import dev.vmtask.agent.image.ImageFormat;

/**
 * How the guest agent gets into a VM. {@link #AUTO} is resolved once the image's format is known:
 * taskcluster archives are built for the metadata protocol and bring their own guest tools, while
 * standalone disks are usually cloud images, which cloud-init can be asked to start the agent on.
 */
public enum GuestAgentMode {
  AUTO("Auto", "auto"),
  CLOUD_INIT("CloudInit", "cloud-init"),
  PREINSTALLED("Preinstalled", "preinstalled");

  private final String apiName;
  private final String cliName;

  GuestAgentMode(String apiName, String cliName) {
    this.apiName = apiName;
    this.cliName = cliName;
  }

  /** Accepts the API's names ({@code CloudInit}) and the command line's ({@code cloud-init}). */
  public static GuestAgentMode parse(String s) {
    if (s == null || s.isBlank()) {
      return AUTO;
    }
    for (GuestAgentMode m : values()) {
      if (m.apiName.equals(s) || m.cliName.equals(s)) {
        return m;
      }
    }
    throw new IllegalArgumentException(
        "guest agent mode must be Auto, CloudInit or Preinstalled, got '" + s + "'");
  }

  /** The concrete mode for an image of {@code format} (never {@link #AUTO}). */
  public GuestAgentMode resolve(ImageFormat format) {
    if (this != AUTO) {
      return this;
    }
    return format == ImageFormat.TAR_ZST ? PREINSTALLED : CLOUD_INIT;
  }

  @Override
  public String toString() {
    return apiName;
  }
}
