package dev.vmtask.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The committed CRDs in crds/ must be exactly what the generator makes from this module. */
class CrdsUpToDateTest {
  private static final Path GENERATED = Path.of("target/classes/META-INF/fabric8");
  private static final Path COMMITTED = Path.of("../crds");
  private static final String HOW_TO_FIX =
      "crds/ is out of date with the api classes; regenerate it with"
          + " `mvn -pl api -Pupdate-crds process-classes` and commit crds/";

  @Test
  void committedCrdsMatchGeneratedOnes() throws IOException {
    List<String> generated = yamlFiles(GENERATED);
    assertThat(generated).as("generated CRDs").isNotEmpty();
    assertThat(yamlFiles(COMMITTED)).as(HOW_TO_FIX).isEqualTo(generated);
    for (String name : generated) {
      assertThat(Files.readString(COMMITTED.resolve(name)))
          .as(HOW_TO_FIX + " (" + name + " differs)")
          .isEqualTo(Files.readString(GENERATED.resolve(name)));
    }
  }

  private static List<String> yamlFiles(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".yml"))
          .sorted()
          .toList();
    }
  }
}
