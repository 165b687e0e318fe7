package dev.vmtask.operator.it;

import static org.awaitility.Awaitility.await;

import dev.vmtask.testbed.Crds;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.awaitility.core.ConditionFactory;

/** A namespace, a fake node and an operator on the private control plane, for one test. */
final class ItSupport implements AutoCloseable {
  final KubernetesClient client = PrivateControlPlane.client();
  final ItCluster cluster;
  private final String nodeLabel = UUID.randomUUID().toString().substring(0, 8);
  private RunningOperator operator;
  private final Map<String, String> env;

  ItSupport(Map<String, String> env) throws Exception {
    Crds.install(client, Path.of("../crds"));
    this.env = env;
    String ns = "it-" + UUID.randomUUID().toString().substring(0, 8);
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .create();
    cluster = new ItCluster(client, ns, ItCluster.createNode(client, nodeLabel));
    startOperator();
  }

  void startOperator() {
    operator = RunningOperator.start(client, cluster.namespace, nodeLabel, env);
  }

  void stopOperator() {
    operator.close();
    operator = null;
  }

  static ConditionFactory eventually() {
    return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100));
  }

  @Override
  public void close() {
    if (operator != null) {
      operator.close();
    }
    client.nodes().withName(cluster.node).delete();
    client.namespaces().withName(cluster.namespace).delete();
  }
}
