package dev.vmtask.operator.pod;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Deterministic pod names, so that a pod is created once per attempt however often the operator
 * restarts: creating it again answers 409 AlreadyExists. Names are kept to 63 characters (a DNS
 * label, usable as a hostname and label value): too long a prefix is cut and a hash of the whole
 * name keeps it unique.
 */
public final class PodNames {
  static final int MAX = 63;
  private static final int HASH_CHARS = 8;

  private PodNames() {}

  /** {@code <task>-<attempt>}. */
  public static String taskPod(String taskName, int attempt) {
    return withSuffix(taskName, "-" + attempt);
  }

  /** {@code <image>-fetch-g<generation>}: the pod validating one generation of an image. */
  public static String fetchPod(String imageName, long generation) {
    return withSuffix(imageName, "-fetch-g" + generation);
  }

  /** {@code <image>-prefetch-g<generation>-<node hash>}: the pod fetching it onto one node. */
  public static String prefetchPod(String imageName, long generation, String nodeName) {
    return withSuffix(imageName, "-prefetch-g" + generation + "-" + hash(nodeName));
  }

  /** A label value for an object name: the name itself if it fits, else a cut name + hash. */
  public static String labelValue(String name) {
    return withSuffix(name, "");
  }

  static String withSuffix(String base, String suffix) {
    if (base.length() + suffix.length() <= MAX) {
      return base + suffix;
    }
    String hash = "-" + hash(base);
    String cut = base.substring(0, MAX - suffix.length() - hash.length());
    // A DNS label may not end with '-' or '.', so trim those before the hash.
    cut = cut.replaceAll("[-.]+$", "");
    return cut + hash + suffix;
  }

  /** Eight hex digits of the SHA-256 of {@code s}: a stable suffix that keeps names distinct. */
  public static String hash(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d).substring(0, HASH_CHARS);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JRE", e);
    }
  }
}
