package dev.vmtask.e2e;

import java.nio.file.Files;
import java.nio.file.Path;

/** The vmtask source tree, found by walking up from the working directory. */
final class RepoRoot {
  private RepoRoot() {}

  static Path get() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("helm/vmtask"))
          && Files.isRegularFile(dir.resolve("pom.xml"))) {
        return dir;
      }
    }
    throw new IllegalStateException(
        "no vmtask repository (a directory with helm/vmtask) above "
            + Path.of("").toAbsolutePath());
  }

  static Path chart() {
    return get().resolve("helm/vmtask");
  }
}
