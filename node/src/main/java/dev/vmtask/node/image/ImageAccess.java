package dev.vmtask.node.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Who has shown access to which digest, as files under {@code access/<hex>/}: {@code public} for an
 * image fetched without credentials, {@code ns-<namespace>} for a namespace that fetched it, or
 * proved it can. A grant is about the digest, so it outlives the eviction of the bytes.
 */
final class ImageAccess {
  private final Path dir;
  private final ImageSharing sharing;

  ImageAccess(Path cacheRoot, ImageSharing sharing) throws IOException {
    this.dir = Files.createDirectories(cacheRoot.resolve("access"));
    this.sharing = sharing;
  }

  boolean allows(String hex, String namespace) {
    Path d = dir.resolve(hex);
    return switch (sharing) {
      case NODE -> true;
      case ANONYMOUS -> Files.exists(d.resolve("public")) || Files.exists(d.resolve(ns(namespace)));
      case NAMESPACE -> Files.exists(d.resolve(ns(namespace)));
    };
  }

  /** Records that {@code namespace} fetched {@code hex}, with or without credentials. */
  void grant(String hex, String namespace, boolean anonymous) throws IOException {
    Path d = Files.createDirectories(dir.resolve(hex));
    touch(d.resolve(ns(namespace)));
    if (anonymous) {
      touch(d.resolve("public"));
    }
  }

  private static void touch(Path file) throws IOException {
    if (!Files.exists(file)) {
      Files.createFile(file);
    }
  }

  /** Namespace names are DNS labels: safe as file names. */
  private static String ns(String namespace) {
    if (!namespace.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?")) {
      throw new IllegalArgumentException("not a namespace name: " + namespace);
    }
    return "ns-" + namespace;
  }
}
