package dev.vmtask.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.vmtask.api.node.KvmNodeStatus;
import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.TaskReason;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.testbed.Mode;
import dev.vmtask.testbed.TestNamespace;
import dev.vmtask.testbed.Testbed;
import dev.vmtask.testbed.TestbedCluster;
import dev.vmtask.testbed.TestbedScripts;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * KVM through the node daemon, on the chart installed on the full testbed: the device plugin
 * registers with the real kubelet, the verdict comes from a Linux guest booted under KVM, tasks
 * follow it, and with the verdict overridden a non-root pod with every capability dropped opens
 * /dev/kvm. The testbed's nested KVM boots no guest, so its honest verdict is "unusable"; the tests
 * read the verdict first and hold either way, so a machine with working KVM passes too.
 */
@Testbed(Mode.FULL)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KvmE2E {
  private static final String IMAGE = "guest";
  private static final Duration VERDICT_TIMEOUT = Duration.ofMinutes(3);
  private static E2eEnvironment env;

  @Test
  @Order(1)
  void theDaemonRegistersWithTheKubeletAndPublishesAVerdictWithItsReason(KubernetesClient client) {
    env = E2eEnvironment.get(client);
    Node node = awaitVerdict(client);

    String verdict = node.getMetadata().getLabels().get(KvmNodeStatus.VERDICT_LABEL);
    String reason = node.getMetadata().getAnnotations().get(KvmNodeStatus.REASON_ANNOTATION);
    System.err.printf("e2e: node %s: KVM %s (%s)%n", env.nodeName(), verdict, reason);
    assertThat(reason).isNotBlank();
    assertThat(node.getMetadata().getAnnotations()).containsKey(KvmNodeStatus.TIME_ANNOTATION);
    // The resource exists in the node's capacity only once the plugin registered.
    await()
        .atMost(Duration.ofMinutes(1))
        .untilAsserted(
            () ->
                assertThat(capacity(client.nodes().withName(env.nodeName()).get()))
                    .isEqualTo(KvmNodeStatus.USABLE.equals(verdict) ? 110 : 0));
    if (KvmNodeStatus.UNUSABLE.equals(verdict)) {
      assertThat(reason).doesNotContain("overridden");
    }
  }

  @Test
  @Order(2)
  void theDaemonsCredentialChangesOnlyItsOwnNodesVerdict(KubernetesClient client) throws Exception {
    Pod daemon = daemonPod(client);
    String token =
        client
            .serviceAccounts()
            .inNamespace(env.release().namespace())
            .withName(daemon.getSpec().getServiceAccountName())
            .tokenRequest(
                new TokenRequestBuilder()
                    .withNewSpec()
                    .withExpirationSeconds(600L)
                    .withNewBoundObjectRef()
                    .withApiVersion("v1")
                    .withKind("Pod")
                    .withName(daemon.getMetadata().getName())
                    .withUid(daemon.getMetadata().getUid())
                    .endBoundObjectRef()
                    .endSpec()
                    .build())
            .getStatus()
            .getToken();
    Config config =
        new ConfigBuilder(client.getConfiguration())
            .withOauthToken(token)
            .withClientCertData(null)
            .withClientCertFile(null)
            .withClientKeyData(null)
            .withClientKeyFile(null)
            .build();
    try (KubernetesClient asDaemon = new KubernetesClientBuilder().withConfig(config).build()) {
      assertThat(
              patchNode(
                  asDaemon, "{\"metadata\":{\"annotations\":{\"vmtask.dev/kvm-e2e\":\"x\"}}}"))
          .as("its own node's vmtask.dev/kvm annotations")
          .startsWith("200");
      patchNode(asDaemon, "{\"metadata\":{\"annotations\":{\"vmtask.dev/kvm-e2e\":null}}}");
      assertThat(patchNode(asDaemon, "{\"metadata\":{\"labels\":{\"e2e-other\":\"x\"}}}"))
          .startsWith("422")
          .contains("may change only the vmtask.dev/kvm label");
      assertThat(patchNode(asDaemon, "{\"spec\":{\"unschedulable\":true}}"))
          .startsWith("422")
          .contains("may not change a Node's spec");
      assertThat(client.nodes().withName(env.nodeName()).get().getSpec().getUnschedulable())
          .isNotEqualTo(Boolean.TRUE);
    }
  }

  /** A bare merge PATCH of the node as the given client's user: "code body". */
  private static String patchNode(KubernetesClient as, String body) throws Exception {
    HttpClient http = as.getHttpClient();
    HttpRequest request =
        http.newHttpRequestBuilder()
            .uri(
                as.getMasterUrl().toString().replaceAll("/+$", "")
                    + "/api/v1/nodes/"
                    + env.nodeName())
            .method("PATCH", "application/merge-patch+json", body)
            .build();
    HttpResponse<String> response = http.sendAsync(request, String.class).get(30, TimeUnit.SECONDS);
    return response.code() + " " + response.body();
  }

  @Test
  @Order(3)
  void anAutoTaskFollowsTheVerdictAndItsStatusSaysWhy(
      KubernetesClient client, TestNamespace namespace) {
    Tasks tasks = tasksIn(client, namespace);
    boolean usable = verdictIsUsable(client);
    tasks.create(Manifests.task("auto", IMAGE, "echo accelerated; exit 0", 600));

    VirtualMachineTask done = tasks.awaitFinished("auto");

    String log = tasks.log(done);
    assertThat(done.getStatus().getPhase())
        .as("status %s, log:%n%s", done.getStatus(), log)
        .isEqualTo(TaskPhase.Succeeded);
    if (usable) {
      assertThat(done.getStatus().getAcceleration()).isEqualTo("kvm");
    } else {
      assertThat(done.getStatus().getAcceleration()).isEqualTo("tcg");
      assertThat(done.getStatus().getAccelerationMessage())
          .startsWith("tcg: no VM node offers devices.vmtask.dev/kvm")
          .contains("node " + env.nodeName() + ": KVM unusable (");
      assertThat(podLimits(tasks, done)).doesNotContainKey(KvmNodeStatus.DEVICE_RESOURCE);
    }
  }

  @Test
  @Order(4)
  void aKvmTaskFailsFastWhenNoNodeOffersKvm(KubernetesClient client, TestNamespace namespace) {
    Tasks tasks = tasksIn(client, namespace);
    boolean usable = verdictIsUsable(client);
    tasks.create(kvmTask("needs-kvm"));

    VirtualMachineTask done = tasks.awaitFinished("needs-kvm");

    if (usable) {
      assertThat(done.getStatus().getPhase()).isEqualTo(TaskPhase.Succeeded);
      assertThat(done.getStatus().getAcceleration()).isEqualTo("kvm");
      return;
    }
    assertThat(done.getStatus().getReason()).isEqualTo(TaskReason.KvmUnavailable);
    assertThat(done.getStatus().getPodName()).as("no pod is ever made").isNull();
    assertThat(done.getStatus().getMessage())
        .contains("no VM node offers devices.vmtask.dev/kvm")
        .contains("node " + env.nodeName() + ": KVM unusable (");
    Duration took =
        Duration.between(
            java.time.Instant.parse(done.getMetadata().getCreationTimestamp()),
            java.time.Instant.parse(done.getStatus().getCompletionTime()));
    assertThat(took)
        .as("fails at once, not after a boot timeout")
        .isLessThan(Duration.ofSeconds(30));
  }

  @Test
  @Order(5)
  void withTheVerdictOverriddenANonRootPodOpensKvmThroughTheDevice(
      KubernetesClient client, TestNamespace namespace) {
    Map<String, Object> values = new HashMap<>(E2eEnvironment.chartValues());
    values.put("kvm.verdictOverride", "usable");
    env.release().upgrade(values);
    await()
        .atMost(VERDICT_TIMEOUT)
        .pollInterval(Duration.ofSeconds(2))
        .until(() -> capacity(client.nodes().withName(env.nodeName()).get()) == 110);
    Node node = client.nodes().withName(env.nodeName()).get();
    assertThat(node.getMetadata().getLabels())
        .containsEntry(KvmNodeStatus.VERDICT_LABEL, KvmNodeStatus.USABLE);
    assertThat(node.getMetadata().getAnnotations().get(KvmNodeStatus.REASON_ANNOTATION))
        .contains("overridden");

    String log = runKvmPod(client, namespace.name(), "kvm-check");

    assertThat(log).contains("uid=10001").contains("CapEff:\t0000000000000000");
    assertThat(log).containsPattern("\"return\": \\{\"enabled\": true, \"present\": true\\}");
  }

  @Test
  @Order(6)
  void onAnOverriddenNodeKvmFailuresAreCaughtAtOnce(
      KubernetesClient client, TestNamespace namespace) {
    Tasks tasks = tasksIn(client, namespace);
    tasks.create(Manifests.task("auto-granted", IMAGE, "echo went on; exit 0", 600));
    tasks.create(kvmTask("kvm-granted"));

    VirtualMachineTask auto = tasks.awaitFinished("auto-granted");
    VirtualMachineTask kvm = tasks.awaitFinished("kvm-granted");

    String autoLog = tasks.log(auto);
    assertThat(podLimits(tasks, auto))
        .containsEntry(KvmNodeStatus.DEVICE_RESOURCE, new Quantity("1"));
    assertThat(autoLog).as("the pod trusts the node's verdict").contains("no probe");
    assertThat(auto.getStatus().getPhase())
        .as("status %s, log:%n%s", auto.getStatus(), autoLog)
        .isEqualTo(TaskPhase.Succeeded);
    if ("tcg".equals(auto.getStatus().getAcceleration())) {
      // this machine's KVM stops real guests: the same attempt went on under TCG
      assertThat(auto.getStatus().getAttempts()).isEqualTo(1);
      assertThat(auto.getStatus().getAccelerationMessage()).contains("KVM failed under the guest");
      assertThat(kvm.getStatus().getReason()).isEqualTo(TaskReason.KvmFailed);
      assertThat(kvm.getStatus().getMessage()).containsIgnoringCase("kvm");
    } else {
      assertThat(kvm.getStatus().getPhase()).isEqualTo(TaskPhase.Succeeded);
    }
  }

  @Test
  @Order(7)
  void afterAKubeletRestartTheDeviceIsRegisteredAgain(
      KubernetesClient client, TestNamespace namespace) {
    if (TestbedCluster.isExternal()) {
      System.err.println("e2e: not restarting the kubelet of an external cluster");
      return;
    }
    String before = daemonLog(client);
    TestbedScripts.locate().restartKubelet();

    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofSeconds(1))
        .ignoreExceptions() // the kubelet serves no log while it restarts
        .untilAsserted(
            () ->
                assertThat(registrations(daemonLog(client))).isGreaterThan(registrations(before)));
    String log = runKvmPod(client, namespace.name(), "kvm-after-restart");
    assertThat(log).containsPattern("\"return\": \\{\"enabled\": true, \"present\": true\\}");
  }

  @AfterAll
  static void honestVerdictAgain() {
    if (env != null) {
      env.release().upgrade(E2eEnvironment.chartValues());
    }
  }

  /** A pod of the agent image (it has QEMU) that asks for the device and QEMU whether KVM works. */
  private static String runKvmPod(KubernetesClient client, String namespace, String name) {
    String script =
        "id; grep CapEff /proc/self/status; ls -l /dev/kvm;"
            + " printf '%s\\n' '{\"execute\":\"qmp_capabilities\"}' '{\"execute\":\"query-kvm\"}'"
            + " '{\"execute\":\"quit\"}' | qemu-system-x86_64 -machine none -accel kvm -nodefaults"
            + " -display none -qmp stdio";
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .endMetadata()
            .withNewSpec()
            .withRestartPolicy("Never")
            .withAutomountServiceAccountToken(false)
            .withNewSecurityContext()
            .withRunAsNonRoot(true)
            .withRunAsUser(10001L)
            .withRunAsGroup(10001L)
            .withNewSeccompProfile()
            .withType("RuntimeDefault")
            .endSeccompProfile()
            .endSecurityContext()
            .addNewContainer()
            .withName("check")
            .withImage("vmtask.dev/vmtask-agent:0.1.0")
            .withImagePullPolicy("IfNotPresent")
            .withCommand("/bin/sh", "-c", script)
            .withNewSecurityContext()
            .withAllowPrivilegeEscalation(false)
            .withNewCapabilities()
            .addToDrop("ALL")
            .endCapabilities()
            .endSecurityContext()
            .withNewResources()
            .addToLimits(KvmNodeStatus.DEVICE_RESOURCE, new Quantity("1"))
            .addToLimits("memory", new Quantity("256Mi"))
            .endResources()
            .endContainer()
            .endSpec()
            .build();
    client.pods().inNamespace(namespace).resource(pod).create();
    Pod done =
        await()
            .atMost(Duration.ofMinutes(3))
            .pollInterval(Duration.ofSeconds(1))
            .until(
                () -> client.pods().inNamespace(namespace).withName(name).get(),
                p ->
                    p != null
                        && ("Succeeded".equals(p.getStatus().getPhase())
                            || "Failed".equals(p.getStatus().getPhase())));
    String log = client.pods().inNamespace(namespace).withName(name).getLog();
    System.err.printf("e2e: %s (%s):%n%s%n", name, done.getStatus().getPhase(), log);
    assertThat(done.getStatus().getPhase()).as("log:%n%s", log).isEqualTo("Succeeded");
    return log;
  }

  private static Node awaitVerdict(KubernetesClient client) {
    return await()
        .atMost(VERDICT_TIMEOUT)
        .pollInterval(Duration.ofSeconds(2))
        .until(
            () -> client.nodes().withName(env.nodeName()).get(),
            n -> {
              String v = n.getMetadata().getLabels().get(KvmNodeStatus.VERDICT_LABEL);
              return KvmNodeStatus.USABLE.equals(v) || KvmNodeStatus.UNUSABLE.equals(v);
            });
  }

  private static boolean verdictIsUsable(KubernetesClient client) {
    return KvmNodeStatus.USABLE.equals(
        awaitVerdict(client).getMetadata().getLabels().get(KvmNodeStatus.VERDICT_LABEL));
  }

  private static long capacity(Node node) {
    Quantity q = node.getStatus().getCapacity().get(KvmNodeStatus.DEVICE_RESOURCE);
    return q == null ? -1 : q.getNumericalAmount().longValue();
  }

  private static Tasks tasksIn(KubernetesClient client, TestNamespace namespace) {
    Tasks tasks = new Tasks(client, namespace.name());
    tasks.createImage(Manifests.image(IMAGE, env.guestUrl(), env.guest().sha256()));
    return tasks;
  }

  private static String kvmTask(String name) {
    return Manifests.task(name, IMAGE, "echo under kvm; exit 0", 600) + "  acceleration: kvm\n";
  }

  private static Map<String, Quantity> podLimits(Tasks tasks, VirtualMachineTask task) {
    return tasks
        .pod(task)
        .orElseThrow()
        .getSpec()
        .getContainers()
        .get(0)
        .getResources()
        .getLimits();
  }

  private static String daemonLog(KubernetesClient client) {
    Pod daemon = daemonPod(client);
    return client
        .pods()
        .inNamespace(env.release().namespace())
        .withName(daemon.getMetadata().getName())
        .getLog();
  }

  private static Pod daemonPod(KubernetesClient client) {
    return client
        .pods()
        .inNamespace(env.release().namespace())
        .withLabel("app.kubernetes.io/component", "node")
        .list()
        .getItems()
        .stream()
        .filter(
            p ->
                "Running".equals(p.getStatus().getPhase())
                    && p.getMetadata().getDeletionTimestamp() == null)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no running node daemon pod"));
  }

  /** Registrations the daemon logged: "registered ... with the kubelet (registration N, ...)". */
  private static long registrations(String log) {
    return log.lines().filter(l -> l.contains("with the kubelet (registration ")).count();
  }
}
