package dev.vmtask.agent.image;

import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Where an image comes from and what it must be. {@code sha256} (64 hex digits, optionally prefixed
 * {@code sha256:}) is the digest of the file as fetched; {@code null} accepts any content. {@code
 * headers} are sent with every HTTP request (e.g. Authorization); their values never appear in
 * {@link #toString()} or any message.
 */
public record ImageSource(URI url, String sha256, ImageFormat format, Map<String, String> headers) {
  private static final Pattern HEX = Pattern.compile("^[0-9a-f]{64}$");

  public ImageSource {
    if (url == null) {
      throw new IllegalArgumentException("image url is required");
    }
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https") && !scheme.equals("file")) {
      throw new IllegalArgumentException(
          "image url must be http, https or file, got '" + scheme + ":' in " + redact(url));
    }
    if (sha256 != null) {
      String hex = sha256.toLowerCase(Locale.ROOT);
      hex = hex.startsWith("sha256:") ? hex.substring("sha256:".length()) : hex;
      if (!HEX.matcher(hex).matches()) {
        throw new IllegalArgumentException(
            "image sha256 must be 64 hex digits, got '" + sha256 + "'");
      }
      sha256 = hex;
    }
    format = format == null ? ImageFormat.AUTO : format;
    headers = headers == null ? Map.of() : Map.copyOf(headers);
  }

  public static ImageSource ofFile(Path file, String sha256, ImageFormat format) {
    return new ImageSource(file.toAbsolutePath().toUri(), sha256, format, Map.of());
  }

  public boolean isFile() {
    return url.getScheme().equalsIgnoreCase("file");
  }

  /** The URL without its query and user info, which may carry credentials; for messages. */
  public static String redact(URI url) {
    String s = url.getScheme() + "://" + (url.getHost() == null ? "" : url.getHost());
    if (url.getPort() != -1) {
      s += ":" + url.getPort();
    }
    s += url.getRawPath() == null ? "" : url.getRawPath();
    return url.getRawQuery() == null ? s : s + "?…";
  }

  @Override
  public String toString() {
    return "ImageSource["
        + redact(url)
        + ", sha256="
        + sha256
        + ", format="
        + format
        + ", headers="
        + headers.keySet()
        + "]";
  }
}
