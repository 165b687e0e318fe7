package dev.vmtask.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.vmtask.api.image.ImagePhase;
import dev.vmtask.api.node.KvmNodeStatus;
import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.TaskReason;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.testbed.Mode;
import dev.vmtask.testbed.TestNamespace;
import dev.vmtask.testbed.Testbed;
import dev.vmtask.testbed.TestbedScripts;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The chart on a testbed of two nodes (a second containerd and kubelet on this host, added for this
 * class and removed after it): the node daemon on both, tasks drawn to the node whose cache holds
 * their image, and a node lost under a running task.
 */
@Testbed(Mode.FULL)
class TwoNodesE2E {
  private static final TestbedScripts TESTBED = TestbedScripts.locate();
  private static final String IMAGE = "guest";

  private E2eEnvironment env;
  private Tasks tasks;
  private KubernetesClient client;

  @BeforeAll
  static void secondNode() {
    TESTBED.upNodes(2);
  }

  @AfterAll
  static void removeSecondNode() {
    TESTBED.nodeDown(2);
  }

  @BeforeEach
  void setUp(KubernetesClient client, TestNamespace namespace) {
    this.client = client;
    env = E2eEnvironment.get(client);
    tasks = new Tasks(client, namespace.name());
    // Both daemons up, both verdicts taken: tasks then plan their acceleration on both nodes.
    await()
        .atMost(Duration.ofMinutes(5))
        .pollInterval(Duration.ofSeconds(2))
        .untilAsserted(
            () -> {
              assertThat(env.release().nodeDaemonPods())
                  .filteredOn(p -> Boolean.TRUE.equals(ready(p)))
                  .extracting(p -> p.getSpec().getNodeName())
                  .containsExactlyInAnyOrderElementsOf(nodeNames());
              assertThat(nodes())
                  .allSatisfy(
                      n ->
                          assertThat(n.getMetadata().getLabels().get(KvmNodeStatus.VERDICT_LABEL))
                              .isIn(KvmNodeStatus.USABLE, KvmNodeStatus.UNUSABLE));
            });
  }

  @Test
  void theNodeDaemonRunsOnBothNodes() {
    assertThat(nodes()).hasSize(2);
    assertThat(env.release().nodeDaemonPods())
        .extracting(p -> p.getSpec().getNodeName())
        .containsExactlyInAnyOrderElementsOf(nodeNames());
  }

  @Test
  void tasksOnACachedImageLandOnTheNodeHoldingIt() {
    tasks.createImage(Manifests.image(IMAGE, env.guestUrl(), env.guest().sha256()));
    var image = tasks.awaitImage(IMAGE, ImagePhase.Ready);
    // Validated by one fetch pod: one node's cache holds it.
    String holder = image.getStatus().getNodes().get(0).getName();
    assertThat(image.getStatus().getNodes()).hasSize(1);

    for (String name : List.of("first", "second")) {
      tasks.create(Manifests.task(name, IMAGE, "echo on the node holding the image", 600));
      VirtualMachineTask done = tasks.awaitFinished(name);
      assertThat(done.getStatus().getPhase())
          .as("log:%n%s", tasks.log(done))
          .isEqualTo(TaskPhase.Succeeded);
      assertThat(done.getStatus().getNodeName()).as(name).isEqualTo(holder);
      assertThat(done.getStatus().getTimings().getStartMs()).isNotNull();
    }
  }

  @Test
  void aLostNodeEndsTheAttemptAsNodeLostAndTheRetryRunsOnTheOtherNode() {
    tasks.createImage(Manifests.image(IMAGE, env.guestUrl(), env.guest().sha256()));
    tasks.awaitImage(IMAGE, ImagePhase.Ready);
    tasks.create(
        Manifests.task("survivor", IMAGE, "echo start; sleep 40; echo done", 600)
            + """
              backoffLimit: 1
              tolerations:
                - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 5}
                - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 5}
            """);
    String lost = tasks.awaitPhase("survivor", TaskPhase.Running).getStatus().getNodeName();
    int lostNode = lost.equals(env.nodeName()) ? 1 : 2;

    TESTBED.stopKubelet(lostNode);
    try {
      VirtualMachineTask done = tasks.awaitFinished("survivor");
      assertThat(done.getStatus().getPhase())
          .as("status %s", done.getStatus())
          .isEqualTo(TaskPhase.Succeeded);
      assertThat(done.getStatus().getAttempts()).isEqualTo(2);
      assertThat(done.getStatus().getNodeName()).isNotEqualTo(lost);
      assertThat(taskEvents("survivor"))
          .as("the first attempt's end, as the retry's warning says")
          .anySatisfy(e -> assertThat(e.getNote()).contains("NodeLost"));
    } finally {
      TESTBED.startKubelet(lostNode);
    }
  }

  private List<Event> taskEvents(String task) {
    return client.events().v1().events().inNamespace(tasks.namespace()).list().getItems().stream()
        .filter(e -> task.equals(e.getRegarding().getName()))
        .filter(e -> TaskReason.NodeLost.name().equals(e.getReason()))
        .toList();
  }

  private List<Node> nodes() {
    return client.nodes().list().getItems();
  }

  private Set<String> nodeNames() {
    return nodes().stream().map(n -> n.getMetadata().getName()).collect(Collectors.toSet());
  }

  private static Boolean ready(io.fabric8.kubernetes.api.model.Pod pod) {
    return pod.getStatus() != null
        && pod.getStatus().getConditions() != null
        && pod.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }
}
