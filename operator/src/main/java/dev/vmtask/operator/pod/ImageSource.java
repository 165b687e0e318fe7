package dev.vmtask.operator.pod;

import dev.vmtask.api.image.HttpHeader;
import dev.vmtask.api.image.VMImage;
import dev.vmtask.api.image.VMImageSpec;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import java.util.ArrayList;
import java.util.List;

/** The image part of {@code VMTASK_TASK} and the header variables that go with it. */
final class ImageSource {
  private static final String DIGEST_PREFIX = "sha256:";

  private ImageSource() {}

  static AgentTask.Image describe(VMImage image) {
    VMImageSpec spec = image.getSpec();
    List<AgentTask.Header> headers = new ArrayList<>();
    List<HttpHeader> declared = spec.getSource().getHttp().getHeaders();
    for (int i = 0; declared != null && i < declared.size(); i++) {
      headers.add(new AgentTask.Header(declared.get(i).getName(), headerEnvName(i)));
    }
    return new AgentTask.Image(
        image.getMetadata().getName(),
        spec.getSource().getHttp().getUrl(),
        expectedSha256(image),
        spec.getFormat(),
        headers,
        spec.getMachine(),
        spec.getGuestAgent());
  }

  /** The Secret-backed variables the agent reads the header values from. */
  static List<EnvVar> headerEnv(VMImage image) {
    List<EnvVar> env = new ArrayList<>();
    List<HttpHeader> declared = image.getSpec().getSource().getHttp().getHeaders();
    for (int i = 0; declared != null && i < declared.size(); i++) {
      var ref = declared.get(i).getValueFrom().getSecretKeyRef();
      env.add(
          new EnvVarBuilder()
              .withName(headerEnvName(i))
              .withNewValueFrom()
              .withNewSecretKeyRef()
              .withName(ref.getName())
              .withKey(ref.getKey())
              .endSecretKeyRef()
              .endValueFrom()
              .build());
    }
    return env;
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

  private static String headerEnvName(int index) {
    return "VMTASK_IMAGE_HEADER_" + index;
  }
}
