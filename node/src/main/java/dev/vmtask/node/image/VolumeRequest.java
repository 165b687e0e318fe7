package dev.vmtask.node.image;

import dev.vmtask.agent.image.ImageFormat;
import dev.vmtask.agent.image.ImageSource;
import dev.vmtask.node.csi.VolumeException;
import io.grpc.Status;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What an {@code images.vmtask.dev} volume asks for, read from the inline volume's attributes (the
 * operator writes them, docs/agent-contract.md): {@code url}, {@code sha256}, {@code format}, and
 * per HTTP header {@code header.N.name} with {@code header.N.secretKey}, a key of the volume's
 * {@code nodePublishSecretRef} Secret that holds the value.
 */
record VolumeRequest(String namespace, String pod, ImageSource source) {
  static final String URL = "url";
  static final String SHA256 = "sha256";
  static final String FORMAT = "format";
  static final String POD_NAMESPACE = "csi.storage.k8s.io/pod.namespace";
  static final String POD_NAME = "csi.storage.k8s.io/pod.name";
  static final String EPHEMERAL = "csi.storage.k8s.io/ephemeral";

  static VolumeRequest parse(Map<String, String> attributes, Map<String, String> secrets)
      throws VolumeException {
    String namespace = attributes.get(POD_NAMESPACE);
    if (namespace == null || namespace.isBlank()) {
      throw invalid(
          "the volume carries no pod namespace: the CSIDriver images.vmtask.dev needs"
              + " podInfoOnMount: true");
    }
    if (!"true".equals(attributes.getOrDefault(EPHEMERAL, "true"))) {
      throw invalid("images.vmtask.dev serves inline ephemeral volumes only");
    }
    String url = attributes.get(URL);
    if (url == null || url.isBlank()) {
      throw invalid("the volume attribute 'url' is required");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw invalid("the volume attribute 'url' is not a URL: " + e.getReason());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      // The daemon is privileged: a file: URL would read the node's own files.
      throw invalid("the image url must be http or https, got '" + scheme + ":'");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 0; attributes.containsKey("header." + i + ".name"); i++) {
      String name = attributes.get("header." + i + ".name");
      String key = attributes.get("header." + i + ".secretKey");
      String value = key == null ? null : secrets.get(key);
      if (value == null) {
        throw new VolumeException(
            Status.Code.FAILED_PRECONDITION,
            "the image's header "
                + name
                + " takes its value from key '"
                + key
                + "' of the volume's Secret, which has no such key");
      }
      headers.put(name, value);
    }
    ImageFormat format;
    try {
      format = ImageFormat.parse(attributes.getOrDefault(FORMAT, "auto"));
    } catch (IllegalArgumentException e) {
      throw invalid(e.getMessage());
    }
    try {
      String sha = attributes.get(SHA256);
      return new VolumeRequest(
          namespace,
          attributes.getOrDefault(POD_NAME, ""),
          new ImageSource(uri, sha == null || sha.isBlank() ? null : sha, format, headers));
    } catch (IllegalArgumentException e) {
      throw invalid(e.getMessage());
    }
  }

  /** Which fetch this is: one per namespace, image and credentials. */
  String flightKey() {
    return namespace
        + "|"
        + source.url()
        + "|"
        + source.sha256()
        + "|"
        + source.format()
        + "|"
        + Integer.toHexString(source.headers().hashCode());
  }

  private static VolumeException invalid(String message) {
    return new VolumeException(Status.Code.INVALID_ARGUMENT, message);
  }
}
