package dev.vmtask.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.testbed.Mode;
import dev.vmtask.testbed.TestNamespace;
import dev.vmtask.testbed.Testbed;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kubectl vmtask} against tasks of the chart on the full testbed: shell, console, display,
 * wait and logs through the pod's portforward subresource, a failed task kept for inspection, and a
 * user whom RBAC does not allow to port-forward.
 */
@Testbed(Mode.FULL)
class InteractiveE2E {
  private static final String IMAGE = "guest";
  private static final Duration PLUGIN_TIMEOUT = Duration.ofMinutes(2);

  @TempDir Path tmp;
  private Tasks tasks;
  private KubectlPlugin plugin;

  @BeforeEach
  void imageInNamespace(KubernetesClient client, TestNamespace namespace) {
    tasks = Tasks.withGuestImage(client, namespace.name(), IMAGE);
    plugin = new KubectlPlugin(E2eEnvironment.kubeconfig(), namespace.name());
  }

  @Test
  void aRunningGuestServesShellConsoleAndDisplayToThoseWhoMayPortForward(
      KubernetesClient client, TestNamespace namespace) throws Exception {
    tasks.create(
        Manifests.task("live", IMAGE, "echo to-the-console >/dev/console; sleep 900", 1200)
            + "    graphics: VGA\n");
    tasks.awaitPhase("live", TaskPhase.Running);

    KubectlPlugin.Result uname = plugin.run(PLUGIN_TIMEOUT, "shell", "live", "--", "uname", "-a");
    assertThat(uname.exitCode()).as(uname.stderr()).isZero();
    assertThat(uname.stdout()).startsWith("Linux ");

    KubectlPlugin.Result failing =
        plugin.run(PLUGIN_TIMEOUT, "shell", "live", "--", "sh", "-c", "echo out; exit 7");
    assertThat(failing.exitCode()).as(failing.stderr()).isEqualTo(7);
    assertThat(failing.stdout()).isEqualTo("out\n");

    Process console = plugin.start("console", "live");
    try {
      assertThat(readUntil(console.getInputStream(), "to-the-console", Duration.ofMinutes(1)))
          .contains("to-the-console");
    } finally {
      console.destroyForcibly();
    }

    Process vnc = plugin.start("vnc", "live", "--port", "0");
    try {
      String line =
          new BufferedReader(new InputStreamReader(vnc.getInputStream(), StandardCharsets.UTF_8))
              .readLine();
      Matcher m = Pattern.compile("127\\.0\\.0\\.1:(\\d+)").matcher(String.valueOf(line));
      assertThat(m.find()).as("the plugin's first line: %s", line).isTrue();
      try (Socket s = new Socket("127.0.0.1", Integer.parseInt(m.group(1)))) {
        s.setSoTimeout(60_000);
        assertFramebufferUpdate(
            new DataInputStream(s.getInputStream()), new DataOutputStream(s.getOutputStream()));
      }
    } finally {
      vnc.destroyForcibly();
    }

    KubectlPlugin viewer =
        new KubectlPlugin(kubeconfigWithoutPortForward(client, namespace.name()), namespace.name());
    KubectlPlugin.Result listed = viewer.run(PLUGIN_TIMEOUT, "get", "live");
    assertThat(listed.exitCode()).as(listed.stderr()).isZero();
    assertThat(listed.stdout()).contains("live").contains("Running");
    KubectlPlugin.Result refused = viewer.run(PLUGIN_TIMEOUT, "shell", "live", "--", "true");
    assertThat(refused.exitCode()).isEqualTo(1);
    assertThat(refused.stderr()).contains("pods/portforward").contains("forbidden");

    tasks.delete("live");
  }

  @Test
  void aFailedTaskIsKeptForInspectionThenStopsAtItsBound() {
    tasks.create(
        Manifests.task("kept", IMAGE, "echo failing; exit 3", 600)
            .replace("spec:\n", "spec:\n  keepFailedVMSeconds: 40\n"));
    VirtualMachineTask inspecting =
        await()
            .atMost(Tasks.TASK_TIMEOUT)
            .pollInterval(Duration.ofSeconds(1))
            .until(
                () -> tasks.get("kept"),
                t -> "True".equals(Tasks.condition(t, "Inspecting").getStatus()) || finished(t));
    Condition kept = Tasks.condition(inspecting, "Inspecting");
    assertThat(kept.getStatus()).as("%s", inspecting.getStatus()).isEqualTo("True");
    assertThat(inspecting.getStatus().getPhase()).isEqualTo(TaskPhase.Running);
    assertThat(inspecting.getStatus().getMessage()).contains("kept for inspection");

    KubectlPlugin.Result shell =
        plugin.run(PLUGIN_TIMEOUT, "shell", "kept", "--", "sh", "-c", "echo inside; uname -s");
    assertThat(shell.exitCode()).as(shell.stderr()).isZero();
    assertThat(shell.stdout()).isEqualTo("inside\nLinux\n");

    KubectlPlugin.Result waited = plugin.run(Duration.ofMinutes(3), "wait", "kept");
    assertThat(waited.exitCode()).as(waited.stdout() + waited.stderr()).isEqualTo(3);
    assertThat(waited.stdout()).contains("kept Failed (NonZeroExit, exit code 3)");

    VirtualMachineTask done = tasks.get("kept");
    assertThat(done.getStatus().getMessage()).contains("kept for inspection for 40 s");
    assertThat(Tasks.condition(done, "Inspecting").getStatus()).isEqualTo("False");
    Duration keptFor =
        Duration.between(
            Instant.parse(kept.getLastTransitionTime()),
            Instant.parse(done.getStatus().getCompletionTime()));
    assertThat(keptFor).isBetween(Duration.ofSeconds(30), Duration.ofSeconds(90));

    KubectlPlugin.Result logs = plugin.run(PLUGIN_TIMEOUT, "logs", "kept");
    assertThat(logs.exitCode()).as(logs.stderr()).isZero();
    assertThat(logs.stdout()).contains("failing").doesNotContain("vmtask-agent:");
  }

  private static boolean finished(VirtualMachineTask t) {
    return t != null
        && t.getStatus() != null
        && t.getStatus().getPhase() != null
        && t.getStatus().getPhase().isFinished();
  }

  /**
   * A kubeconfig for a service account that may read tasks, pods and their logs in the namespace,
   * but not port-forward.
   */
  private Path kubeconfigWithoutPortForward(KubernetesClient client, String namespace)
      throws Exception {
    client
        .serviceAccounts()
        .inNamespace(namespace)
        .resource(
            new ServiceAccountBuilder().withNewMetadata().withName("viewer").endMetadata().build())
        .create();
    client
        .rbac()
        .roles()
        .inNamespace(namespace)
        .resource(
            new RoleBuilder()
                .withNewMetadata()
                .withName("task-viewer")
                .endMetadata()
                .addNewRule()
                .withApiGroups("vmtask.dev")
                .withResources("virtualmachinetasks")
                .withVerbs("get", "list", "watch")
                .endRule()
                .addNewRule()
                .withApiGroups("")
                .withResources("pods", "pods/log")
                .withVerbs("get", "list", "watch")
                .endRule()
                .build())
        .create();
    client
        .rbac()
        .roleBindings()
        .inNamespace(namespace)
        .resource(
            new RoleBindingBuilder()
                .withNewMetadata()
                .withName("task-viewer")
                .endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "Role", "task-viewer")
                .addNewSubject()
                .withKind("ServiceAccount")
                .withName("viewer")
                .withNamespace(namespace)
                .endSubject()
                .build())
        .create();
    String token =
        client
            .serviceAccounts()
            .inNamespace(namespace)
            .withName("viewer")
            .tokenRequest(
                new TokenRequestBuilder()
                    .withNewSpec()
                    .withExpirationSeconds(3600L)
                    .endSpec()
                    .build())
            .getStatus()
            .getToken();
    Config admin = client.getConfiguration();
    String ca =
        admin.getCaCertData() != null
            ? admin.getCaCertData()
            : Base64.getEncoder()
                .encodeToString(Files.readAllBytes(Path.of(admin.getCaCertFile())));
    Path kubeconfig = tmp.resolve("viewer.kubeconfig");
    Files.writeString(
        kubeconfig,
        """
        apiVersion: v1
        kind: Config
        clusters:
          - name: testbed
            cluster:
              server: %s
              certificate-authority-data: %s
        users:
          - name: viewer
            user:
              token: %s
        contexts:
          - name: viewer
            context: {cluster: testbed, user: viewer, namespace: %s}
        current-context: viewer
        """
            .formatted(admin.getMasterUrl(), ca, token, namespace));
    return kubeconfig;
  }

  private static String readUntil(InputStream in, String marker, Duration timeout)
      throws Exception {
    ByteArrayOutputStream seen = new ByteArrayOutputStream();
    CompletableFuture<String> found =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                for (int b; (b = in.read()) >= 0; ) {
                  synchronized (seen) {
                    seen.write(b);
                    if (seen.toString(StandardCharsets.UTF_8).endsWith(marker)) {
                      return seen.toString(StandardCharsets.UTF_8);
                    }
                  }
                }
              } catch (java.io.IOException e) {
                // the process was killed
              }
              synchronized (seen) {
                return seen.toString(StandardCharsets.UTF_8);
              }
            });
    try {
      return found.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      synchronized (seen) {
        return seen.toString(StandardCharsets.UTF_8);
      }
    }
  }

  /** RFB 3.8 (RFC 6143): version, security None, init, then a full framebuffer update. */
  private static void assertFramebufferUpdate(DataInputStream in, DataOutputStream out)
      throws Exception {
    byte[] version = in.readNBytes(12);
    assertThat(new String(version, StandardCharsets.US_ASCII)).isEqualTo("RFB 003.008\n");
    out.write(version);
    out.flush();
    byte[] offered = in.readNBytes(in.readUnsignedByte());
    assertThat(offered).as("security types").contains((byte) 1);
    out.writeByte(1);
    out.flush();
    assertThat(in.readInt()).as("security result").isZero();
    out.writeByte(1);
    out.flush();
    int width = in.readUnsignedShort();
    int height = in.readUnsignedShort();
    in.readNBytes(16);
    in.readNBytes(in.readInt());
    out.write(new byte[] {3, 0, 0, 0, 0, 0});
    out.writeShort(width);
    out.writeShort(height);
    out.flush();
    int type;
    while ((type = in.readUnsignedByte()) != 0) {
      assertThat(type).as("server message type").isIn(2);
    }
    in.readUnsignedByte();
    assertThat(in.readUnsignedShort()).as("rectangles in the update").isPositive();
  }
}
