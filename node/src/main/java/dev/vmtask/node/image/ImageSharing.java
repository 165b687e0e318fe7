package dev.vmtask.node.image;

import java.util.Locale;

/**
 * Which namespaces may use an image the cache already holds (docs/install.md, "Images and
 * tenants"). Whatever the mode, the bytes are stored once per digest.
 */
enum ImageSharing {
  /**
   * An image fetched without credentials is shared node-wide; one fetched with credentials only
   * with namespaces that fetched it themselves, or proved they can (the default).
   */
  ANONYMOUS,
  /** Every namespace proves its own access to every image, anonymous ones included. */
  NAMESPACE,
  /** Any namespace may use any cached image by its digest: for clusters of one tenant. */
  NODE;

  static ImageSharing parse(String value) {
    if (value == null || value.isBlank()) {
      return ANONYMOUS;
    }
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "image sharing must be anonymous, namespace or node, got '" + value + "'");
    }
  }
}
