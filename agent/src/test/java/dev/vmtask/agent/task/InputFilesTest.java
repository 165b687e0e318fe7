package dev.vmtask.agent.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtask.agent.guest.GuestCommand;
import dev.vmtask.agent.guest.GuestInput;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InputFilesTest {
  @TempDir Path tmp;

  private GuestCommand command(Path... sources) {
    List<GuestInput> inputs =
        java.util.stream.IntStream.range(0, sources.length)
            .mapToObj(i -> new GuestInput("" + i, "/in/" + i, sources[i], 0644, -1, null))
            .toList();
    return new GuestCommand(List.of("true"), Map.of(), inputs);
  }

  @Test
  void measuresSizeAndDigest() throws Exception {
    Path a = Files.writeString(tmp.resolve("a"), "hello");
    GuestCommand measured = InputFiles.measure(command(a), 100, 100);
    assertThat(measured.inputs().get(0).size()).isEqualTo(5);
    assertThat(measured.inputs().get(0).sha256())
        .isEqualTo("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  }

  @Test
  void aMissingFileADirectoryOrTooManyBytesFailWithTheInputsPath() throws Exception {
    assertThatThrownBy(() -> InputFiles.measure(command(tmp.resolve("nope")), 100, 100))
        .hasMessageContaining("input /in/0")
        .hasMessageContaining("does not exist");
    Files.createDirectory(tmp.resolve("dir"));
    assertThatThrownBy(() -> InputFiles.measure(command(tmp.resolve("dir")), 100, 100))
        .hasMessageContaining("is not a file");
    Path big = Files.write(tmp.resolve("big"), new byte[101]);
    assertThatThrownBy(() -> InputFiles.measure(command(big), 100, 1000))
        .hasMessageContaining("101 bytes, more than 100");
    Path half = Files.write(tmp.resolve("half"), new byte[60]);
    assertThatThrownBy(() -> InputFiles.measure(command(half, half), 100, 100))
        .hasMessageContaining("more than 100 bytes together");
  }
}
