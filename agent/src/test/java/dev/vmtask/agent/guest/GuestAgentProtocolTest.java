package dev.vmtask.agent.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.vmtask.agent.testing.GuestTestImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real guest agent ({@code guest/agent}, the static binary every guest runs) run on the host
 * against the real metadata service, with busybox as the command's userland (as in the test guest):
 * the protocol end to end without a VM.
 */
class GuestAgentProtocolTest {
  private static final List<String> APPLETS =
      List.of(
          "sh", "nc", "sed", "dd", "wc", "find", "cat", "mkdir", "chmod", "rm", "mkfifo", "setsid",
          "sleep", "kill", "printf", "cut", "head", "tr", "echo", "sync", "ls", "true");

  @TempDir Path tmp;
  private final ByteArrayOutputStream log = new ByteArrayOutputStream();
  private MetadataService service;
  private Process tools;

  // Outside @TempDir, whose cleanup warns about every symlink.
  private static final Path BIN = Path.of("target/guest-tools-bin").toAbsolutePath();

  @BeforeEach
  void busybox() throws IOException {
    Files.createDirectories(BIN);
    for (String applet : APPLETS) {
      if (!Files.exists(BIN.resolve(applet), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        Files.createSymbolicLink(BIN.resolve(applet), Path.of("/bin/busybox"));
      }
    }
  }

  @AfterEach
  void stop() {
    if (tools != null) {
      tools.descendants().forEach(ProcessHandle::destroyForcibly);
      tools.destroyForcibly();
    }
    if (service != null) {
      service.close();
    }
  }

  private void start(GuestCommand command) throws IOException {
    service = MetadataService.start(command, log);
    ProcessBuilder pb = new ProcessBuilder(GuestTestImage.agentBinary().toString(), "run");
    Map<String, String> env = pb.environment();
    env.clear();
    env.put("PATH", BIN.toString());
    env.put("VMTASK_METADATA_HOST", "127.0.0.1");
    env.put("VMTASK_METADATA_PORT", String.valueOf(service.address().getPort()));
    env.put("VMTASK_WORKDIR", tmp.resolve("work").toString());
    // The agent runs on the test machine itself: a shutdown must never power it off.
    env.put("VMTASK_SHUTDOWN_CMD", "echo shut down > " + tmp.resolve("shutdown"));
    env.put("VMTASK_SET_CLOCK", "0");
    tools = pb.redirectErrorStream(true).redirectOutput(tmp.resolve("tools.log").toFile()).start();
  }

  private GuestResult result() throws Exception {
    return service.result().get(60, TimeUnit.SECONDS);
  }

  @Test
  void runsTheCommandStreamsItsLogAndReportsTheExactExitCode() throws Exception {
    start(
        new GuestCommand(
            List.of("sh", "-c", "echo \"out $GREETING\"; echo err >&2; exit 7"),
            Map.of("GREETING", "it's \"quoted\" $HOME")));

    assertThat(result().exitCode()).isEqualTo(7);
    assertThat(service.awaitLogsClosed(Duration.ofSeconds(10))).isTrue();
    assertThat(log.toString(StandardCharsets.UTF_8)).isEqualTo("out it's \"quoted\" $HOME\nerr\n");
  }

  @Test
  void copiesFileAndDirectoryArtifactsWithTheirDigests() throws Exception {
    start(
        new GuestCommand(
            List.of(
                "sh",
                "-c",
                "printf 'artifact\\n' > a.txt; mkdir -p d/s; printf one > d/s/one; printf two > 'd/t w'"),
            Map.of()));
    assertThat(result().exitCode()).isZero();
    Path work = tmp.resolve("work");
    Path dest = tmp.resolve("dest");
    List<CollectedArtifact> got =
        new ArtifactCollector(service.actions(), 1024, 4096)
            .collect(
                List.of(
                    new ArtifactRequest("a", work.resolve("a.txt").toString(), false, dest),
                    new ArtifactRequest(
                        "d", work.resolve("d").toString(), true, dest.resolve("tree"))));

    assertThat(got)
        .containsExactly(
            new CollectedArtifact("a", 9, sha256("artifact\n"), "a.txt"),
            new CollectedArtifact("d", 3, sha256("one"), "s/one"),
            new CollectedArtifact("d", 3, sha256("two"), "t w"));
    assertThat(dest.resolve("tree/s/one")).hasContent("one");
    assertThat(dest.resolve("a.txt")).hasContent("artifact");
  }

  @Test
  void missingAndOversizedArtifactsFailClearly() throws Exception {
    start(new GuestCommand(List.of("sh", "-c", "head -c 5000 /dev/zero > big"), Map.of()));
    assertThat(result().exitCode()).isZero();
    Path work = tmp.resolve("work");
    Path dest = tmp.resolve("dest");
    ArtifactCollector collector = new ArtifactCollector(service.actions(), 1024, 4096);

    assertThatThrownBy(
            () ->
                collector.collect(
                    List.of(new ArtifactRequest("m", work + "/missing", false, dest))))
        .isInstanceOf(ArtifactException.class)
        .hasMessageContaining("missing not found in the guest");
    assertThatThrownBy(
            () -> collector.collect(List.of(new ArtifactRequest("b", work + "/big", false, dest))))
        .isInstanceOf(ArtifactException.class)
        .hasMessageContaining("larger than the limit of 1024 bytes");
    assertThat(dest).isEmptyDirectory();
  }

  @Test
  void outputReachesTheHostWhileTheCommandStillRuns() throws Exception {
    start(new GuestCommand(List.of("sh", "-c", "echo first; sleep 30; echo second"), Map.of()));

    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> log.toString(StandardCharsets.UTF_8).contains("first"));
    assertThat(service.result()).isNotDone();
    assertThat(log.toString(StandardCharsets.UTF_8)).doesNotContain("second");
  }

  @Test
  void aCommandThatCannotStartIsReportedAs127WithItsReason() throws Exception {
    start(new GuestCommand(List.of("no-such-program", "x"), Map.of()));

    assertThat(result().exitCode()).isEqualTo(127);
    assertThat(service.awaitLogsClosed(Duration.ofSeconds(10))).isTrue();
    assertThat(log.toString(StandardCharsets.UTF_8)).contains("no-such-program");
  }

  @Test
  void shutdownRunsTheConfiguredPowerOff() throws Exception {
    start(new GuestCommand(List.of("true"), Map.of()));
    assertThat(result().exitCode()).isZero();

    service.actions().request("shutdown", "", reply -> null);

    await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(tmp.resolve("shutdown")));
    assertThat(tmp.resolve("shutdown")).hasContent("shut down");
  }

  @Test
  void killProcessEndsTheCommandTree() throws Exception {
    start(new GuestCommand(List.of("sh", "-c", "sleep 1000 & sleep 1000"), Map.of()));
    service.commandFetched().get(30, TimeUnit.SECONDS);
    Thread.sleep(500); // let the command start its children

    service.actions().request("kill-process", "", reply -> null);

    assertThat(result().exitCode()).isEqualTo(137);
    assertThat(tools.descendants().filter(p -> p.info().commandLine().orElse("").contains("sleep")))
        .isEmpty();
  }

  private static String sha256(String s) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
  }
}
