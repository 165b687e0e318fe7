package dev.vmtask.agent.task;

import static dev.vmtask.agent.task.TaskRunnerFixture.archive;
import static dev.vmtask.agent.task.TaskRunnerFixture.qcow2;
import static dev.vmtask.agent.task.TaskRunnerFixture.qemuProcesses;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.vmtask.agent.cloudinit.GuestAgentMode;
import dev.vmtask.agent.guest.ArtifactRequest;
import dev.vmtask.agent.guest.CollectedArtifact;
import dev.vmtask.agent.guest.GuestCommand;
import dev.vmtask.agent.image.ImageFormat;
import dev.vmtask.agent.image.ImageSource;
import dev.vmtask.agent.vm.Acceleration;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real QEMU (TCG) booting the real test guest through the whole agent, one outcome each. */
class VmRunIT {
  @TempDir Path tmp;
  private TaskRunnerFixture fixture;

  @BeforeEach
  void fixture() {
    fixture = new TaskRunnerFixture(tmp);
  }

  @AfterEach
  void noQemuLeft() {
    assertThat(qemuProcesses()).as("QEMU processes left running").isEmpty();
  }

  private TaskRunner runner(Duration bootTimeout) {
    return fixture.runner(bootTimeout);
  }

  private String log() {
    return fixture.log();
  }

  private static TaskSpec task(
      ImageSource image,
      String script,
      Duration maxRunTime,
      boolean outbound,
      Acceleration accel,
      List<ArtifactRequest> artifacts) {
    return TaskRunnerFixture.task(image, script, maxRunTime, outbound, accel, artifacts, null);
  }

  @Test
  void runsTheCommandAndReturnsItsLogExitCodeAndArtifacts() throws Exception {
    Path dest = tmp.resolve("artifacts");
    TaskSpec t =
        task(
            archive(),
            "echo $GREETING; mkdir -p /root/out/sub; printf data > /root/out/a.txt;"
                + " printf more > /root/out/sub/b; exit 3",
            Duration.ofMinutes(5),
            false,
            Acceleration.AUTO,
            List.of(
                new ArtifactRequest("a", "/root/out/a.txt", false, dest),
                new ArtifactRequest("tree", "/root/out", true, dest.resolve("tree"))));

    Outcome o = runner(Duration.ofMinutes(3)).run(t);

    assertThat(o.reason()).as(o.message()).isEqualTo(Reason.NonZeroExit);
    assertThat(o.exitCode()).isEqualTo(3);
    assertThat(log()).isEqualTo("hello\n");
    // auto: KVM only after a probe VM ran under it; on machines with broken nested KVM, tcg.
    assertThat(o.acceleration()).isIn("kvm", "tcg");
    assertThat(o.image().digest()).startsWith("sha256:");
    assertThat(o.artifacts())
        .containsExactly(
            new CollectedArtifact("a", 4, sha256("data"), "a.txt"),
            new CollectedArtifact("tree", 4, sha256("data"), "a.txt"),
            new CollectedArtifact("tree", 4, sha256("more"), "sub/b"));
    assertThat(dest.resolve("a.txt")).hasContent("data");
    assertThat(dest.resolve("tree/sub/b")).hasContent("more");
    assertThat(o.timings().bootMs()).isPositive();
  }

  @Test
  void maxRunTimeEndsTheTaskWithDeadlineExceeded() {
    TaskSpec t =
        task(
            qcow2(),
            "echo started; sleep 1000",
            Duration.ofSeconds(5),
            false,
            Acceleration.TCG,
            List.of());

    Outcome o = runner(Duration.ofMinutes(3)).run(t);

    assertThat(o.reason()).as(o.message()).isEqualTo(Reason.DeadlineExceeded);
    assertThat(o.exitCode()).isEqualTo(125);
    assertThat(o.message()).contains("maxRunTime of 5 s exceeded");
    assertThat(o.timings().commandMs()).isBetween(5000L, 30_000L);
  }

  @Test
  void guestEgressIsBlockedByDefault() throws Exception {
    assertThat(probeEgress(false)).contains("BLOCKED").doesNotContain("CONNECTED");
  }

  @Test
  void outboundNetworkAllowsEgress() throws Exception {
    assertThat(probeEgress(true)).contains("CONNECTED");
  }

  /** The guest connects to a TCP server on the host. */
  private String probeEgress(boolean outbound) throws Exception {
    try (ServerSocket server = new ServerSocket()) {
      server.bind(new InetSocketAddress("0.0.0.0", 0));
      CompletableFuture<String> received =
          CompletableFuture.supplyAsync(
              () -> {
                try (Socket s = server.accept();
                    InputStream in = s.getInputStream()) {
                  return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                  return "";
                }
              });
      // slirp's host address for 169.254.0.0/16 is 169.254.2.2; it stands for the host's loopback.
      String script =
          "if echo ping | nc -w 5 169.254.2.2 "
              + server.getLocalPort()
              + "; then echo CONNECTED; else echo BLOCKED; fi";
      Outcome o =
          runner(Duration.ofMinutes(3))
              .run(
                  task(
                      archive(),
                      script,
                      Duration.ofMinutes(2),
                      outbound,
                      Acceleration.TCG,
                      List.of()));
      assertThat(o.reason()).as(o.message()).isIn(Reason.Completed);
      if (outbound) {
        assertThat(received.get(10, TimeUnit.SECONDS)).isEqualTo("ping\n");
      } else {
        assertThat(received).isNotDone();
      }
      return log();
    }
  }

  @Test
  void qemuDyingBeforeTheResultIsQemuCrashed() throws Exception {
    TaskRunner runner = runner(Duration.ofMinutes(3));
    CompletableFuture<Outcome> run =
        CompletableFuture.supplyAsync(
            () ->
                runner.run(
                    task(
                        archive(),
                        "echo started; sleep 1000",
                        Duration.ofMinutes(5),
                        false,
                        Acceleration.TCG,
                        List.of())));
    long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (!log().contains("started") && System.nanoTime() < end && !run.isDone()) {
      Thread.sleep(200);
    }
    assertThat(log()).contains("started");
    qemuProcesses().forEach(ProcessHandle::destroyForcibly); // SIGKILL

    Outcome o = run.get(1, TimeUnit.MINUTES);

    assertThat(o.reason()).as(o.message()).isEqualTo(Reason.QemuCrashed);
    assertThat(o.message()).contains("killed by signal 9").contains("before the guest reported");
  }

  @Test
  void aGuestThatNeverReportsIsGuestUnresponsive() throws Exception {
    Path blank = tmp.resolve("blank.img");
    try (var f =
        Files.newByteChannel(
            blank,
            java.nio.file.StandardOpenOption.CREATE_NEW,
            java.nio.file.StandardOpenOption.WRITE)) {
      f.position((1 << 20) - 1).write(java.nio.ByteBuffer.wrap(new byte[1])); // no boot sector
    }
    long start = System.nanoTime();

    Outcome o =
        runner(Duration.ofSeconds(5))
            .run(
                task(
                    ImageSource.ofFile(blank, null, ImageFormat.RAW),
                    "true",
                    Duration.ofMinutes(1),
                    false,
                    Acceleration.TCG,
                    List.of()));

    assertThat(o.reason()).as(o.message()).isEqualTo(Reason.GuestUnresponsive);
    assertThat(o.message()).contains("did not fetch its command within 5 s");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(60));
  }

  @Test
  void aMachineBeyondTheNodeLimitsIsInvalidMachine() {
    TaskSpec t =
        new TaskSpec(
            "test",
            archive(),
            null,
            JsonNodeFactory.instance.objectNode().put("memoryMiB", 4096),
            new GuestCommand(List.of("true"), Map.of()),
            Duration.ofMinutes(1),
            List.of(),
            false,
            Acceleration.TCG,
            null,
            GuestAgentMode.AUTO,
            false,
            Duration.ZERO,
            null,
            BootMedia.NONE);

    Outcome o = runner(Duration.ofMinutes(1)).run(t);

    assertThat(o.reason()).isEqualTo(Reason.InvalidMachine);
    assertThat(o.message()).contains("4096").contains("2048");
  }

  private static String sha256(String s) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
  }
}
