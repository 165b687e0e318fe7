package dev.vmtask.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CliArgsTest {
  @Test
  void connectionFlagsAreTakenAnywhereOnTheLine() {
    CliArgs a = CliArgs.parse("-n", "ns1", "logs", "t1", "--context", "ctx", "-f");
    assertThat(a.namespace()).isEqualTo("ns1");
    assertThat(a.context()).isEqualTo("ctx");
    assertThat(a.command()).isEqualTo("logs");
    assertThat(a.taskName()).isEqualTo("t1");
    assertThat(a.has("follow")).isTrue();
    assertThat(a.has("all")).isFalse();

    CliArgs b = CliArgs.parse("wait", "t1", "--namespace=ns2", "--kubeconfig=/tmp/kc");
    assertThat(b.namespace()).isEqualTo("ns2");
    assertThat(b.kubeconfig()).isEqualTo("/tmp/kc");
    assertThat(b.context()).isNull();

    CliArgs c = CliArgs.parse("get", "--namespace", "ns3", "--kubeconfig", "kc");
    assertThat(c.namespace()).isEqualTo("ns3");
    assertThat(c.kubeconfig()).isEqualTo("kc");
    assertThat(c.arguments()).isEmpty();
  }

  @Test
  void withoutNamespaceFlagTheContextDecides() {
    assertThat(CliArgs.parse("logs", "t1").namespace()).isNull();
  }

  @Test
  void everythingAfterDoubleDashIsTheCommandAsIs() {
    CliArgs a = CliArgs.parse("shell", "-n", "ns", "t1", "--", "ls", "-n", "--all", "--", "x");
    assertThat(a.namespace()).isEqualTo("ns");
    assertThat(a.taskName()).isEqualTo("t1");
    assertThat(a.afterDashes()).containsExactly("ls", "-n", "--all", "--", "x");
    assertThat(a.has("all")).isFalse();

    assertThat(CliArgs.parse("shell", "t1").afterDashes()).isNull();
    assertThat(CliArgs.parse("shell", "t1", "--").afterDashes()).isEmpty();
  }

  @Test
  void ttyDefaultsToWhetherThePluginRunsOnATerminal() {
    assertThat(CliArgs.parse("shell", "t1").tty(true)).isTrue();
    assertThat(CliArgs.parse("shell", "t1").tty(false)).isFalse();
    assertThat(CliArgs.parse("shell", "t1", "-t").tty(false)).isTrue();
    assertThat(CliArgs.parse("shell", "t1", "--tty").tty(false)).isTrue();
    assertThat(CliArgs.parse("shell", "t1", "-T").tty(true)).isFalse();
    assertThat(CliArgs.parse("shell", "t1", "--no-tty", "--", "ls").tty(true)).isFalse();
    assertThatThrownBy(() -> CliArgs.parse("shell", "t1", "-t", "-T").tty(true))
        .isInstanceOf(CliException.class);
  }

  @Test
  void helpIsAskedForWithoutArgumentsOrExplicitly() {
    assertThat(CliArgs.parse().wantsHelp()).isTrue();
    assertThat(CliArgs.parse("help").wantsHelp()).isTrue();
    assertThat(CliArgs.parse("--help").wantsHelp()).isTrue();
    assertThat(CliArgs.parse("logs", "-h").wantsHelp()).isTrue();
    assertThat(CliArgs.parse("logs", "t").wantsHelp()).isFalse();
  }

  @Test
  void usageErrorsExitWithTwo() {
    assertThatThrownBy(() -> CliArgs.parse("logs", "t1", "-n"))
        .isInstanceOfSatisfying(CliException.class, e -> assertThat(e.exitCode()).isEqualTo(2))
        .hasMessageContaining("needs a value");
    assertThatThrownBy(() -> CliArgs.parse("logs", "-x"))
        .isInstanceOfSatisfying(CliException.class, e -> assertThat(e.exitCode()).isEqualTo(2));
    assertThatThrownBy(() -> CliArgs.parse("logs", "--follow=yes"))
        .isInstanceOf(CliException.class);
    assertThatThrownBy(() -> CliArgs.parse("logs", "t1", "--bogus").allowOnly(Set.of("follow")))
        .isInstanceOfSatisfying(CliException.class, e -> assertThat(e.exitCode()).isEqualTo(2))
        .hasMessageContaining("--bogus");
    assertThatThrownBy(() -> CliArgs.parse("logs", "t1", "--", "x").allowOnly(Set.of("follow")))
        .isInstanceOf(CliException.class);
    assertThatThrownBy(() -> CliArgs.parse("logs").taskName())
        .isInstanceOfSatisfying(CliException.class, e -> assertThat(e.exitCode()).isEqualTo(2));
    assertThatThrownBy(() -> CliArgs.parse("logs", "a", "b").taskName())
        .isInstanceOf(CliException.class);
  }

  @Test
  void durations() {
    assertThat(CliArgs.parse("wait", "t", "--timeout", "90s").duration("timeout"))
        .isEqualTo(Duration.ofSeconds(90));
    assertThat(CliArgs.parseDuration("timeout", "10m")).isEqualTo(Duration.ofMinutes(10));
    assertThat(CliArgs.parseDuration("timeout", "1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(CliArgs.parseDuration("timeout", "500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(CliArgs.parseDuration("timeout", "15")).isEqualTo(Duration.ofSeconds(15));
    assertThat(CliArgs.parse("wait", "t").duration("timeout")).isNull();
    for (String bad : List.of("", "m", "10x", "1.5h", "-1s", "10s garbage")) {
      assertThatThrownBy(() -> CliArgs.parseDuration("timeout", bad))
          .as(bad)
          .isInstanceOf(CliException.class);
    }
    assertThat(CliArgs.format(Duration.ofSeconds(90))).isEqualTo("1m30s");
    assertThat(CliArgs.format(Duration.ofMinutes(10))).isEqualTo("10m");
    assertThat(CliArgs.format(Duration.ofMillis(1500))).isEqualTo("1s500ms");
  }

  @Test
  void ports() {
    assertThat(CliArgs.parse("vnc", "t").port("port", 5900)).isEqualTo(5900);
    assertThat(CliArgs.parse("vnc", "t", "--port", "0").port("port", 5900)).isZero();
    assertThatThrownBy(() -> CliArgs.parse("vnc", "t", "--port", "70000").port("port", 5900))
        .isInstanceOf(CliException.class);
  }
}
