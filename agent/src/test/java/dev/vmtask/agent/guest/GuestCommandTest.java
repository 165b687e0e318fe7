package dev.vmtask.agent.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GuestCommandTest {
  @Test
  void shellFormSurvivesARealShellUnchanged() throws Exception {
    List<String> argv = List.of("printf", "[%s]\\n", "it's", "$HOME `id` \"q\"", "a\nb", "");
    GuestCommand c = new GuestCommand(argv, Map.of("V", "x'y $z"));
    String script = c.toShell() + "\"$@\"; printf '[%s]\\n' \"$V\"";

    Process p = new ProcessBuilder("/bin/busybox", "sh", "-c", script).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertThat(p.waitFor()).isZero();
    assertThat(out).isEqualTo("[it's]\n[$HOME `id` \"q\"]\n[a\nb]\n[]\n[x'y $z]\n");
  }

  @Test
  void rejectsBadEnvironmentNamesAndEmptyCommands() {
    assertThatThrownBy(() -> new GuestCommand(List.of("true"), Map.of("A-B", "1")))
        .hasMessageContaining("environment variable name 'A-B'");
    assertThatThrownBy(() -> new GuestCommand(List.of(), Map.of())).hasMessageContaining("empty");
  }
}
