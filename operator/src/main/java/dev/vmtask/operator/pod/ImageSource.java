package dev.vmtask.operator.pod;

import dev.vmtask.api.image.VMImage;
import dev.vmtask.api.image.VMImageSpec;

/** The image part of {@code VMTASK_TASK}, and the digest an image's pods must get. */
final class ImageSource {
  private static final String DIGEST_PREFIX = "sha256:";

  private ImageSource() {}

  static AgentTask.Image describe(VMImage image) {
    VMImageSpec spec = image.getSpec();
    return new AgentTask.Image(
        image.getMetadata().getName(),
        ImageVolume.url(image),
        expectedSha256(image),
        spec.getFormat(),
        spec.getMachine(),
        spec.getGuestAgent());
  }

  /** The spec's sha256, else the digest pinned on first fetch, else null (not pinned yet). */
  static String expectedSha256(VMImage image) {
    if (image.getSpec().getSha256() != null) {
      return image.getSpec().getSha256();
    }
    String pinned = image.getStatus() == null ? null : image.getStatus().getDigest();
    return pinned != null && pinned.startsWith(DIGEST_PREFIX)
        ? pinned.substring(DIGEST_PREFIX.length())
        : null;
  }
}
