package dev.vmtask.agent.interactive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ShellRequestTest {
  @Test
  void keepsOnlyTheKnownFieldsWithDefaults() {
    assertThat(ShellRequest.parse("{\"command\":[\"uname\",\"-a\"],\"extra\":1}").toString())
        .isEqualTo("{\"command\":[\"uname\",\"-a\"],\"tty\":false,\"rows\":24,\"cols\":80}");
    assertThat(
            ShellRequest.parse("{\"tty\":true,\"rows\":50,\"cols\":132,\"term\":\"xterm\"}")
                .toString())
        .isEqualTo("{\"command\":[],\"tty\":true,\"rows\":50,\"cols\":132,\"term\":\"xterm\"}");
  }

  @Test
  void refusesWhatTheGuestToolsShouldNotSee() {
    assertThatThrownBy(() -> ShellRequest.parse("[]")).hasMessageContaining("JSON object");
    assertThatThrownBy(() -> ShellRequest.parse("{\"command\":\"ls\"}"))
        .hasMessageContaining("array");
    assertThatThrownBy(() -> ShellRequest.parse("{\"command\":[1]}"))
        .hasMessageContaining("strings");
    assertThatThrownBy(() -> ShellRequest.parse("{\"tty\":\"yes\"}")).hasMessageContaining("tty");
    assertThatThrownBy(() -> ShellRequest.parse("{\"rows\":0}")).hasMessageContaining("rows");
    assertThatThrownBy(() -> ShellRequest.parse("{\"term\":\"x; rm -rf /\"}"))
        .hasMessageContaining("term");
    assertThatThrownBy(() -> ShellRequest.parse("{")).hasMessageContaining("not JSON");
  }
}
