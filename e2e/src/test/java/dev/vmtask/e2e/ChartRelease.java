package dev.vmtask.e2e;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.InstallCommand;
import com.marcnuri.helm.Release;
import com.marcnuri.helm.UpgradeCommand;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** The vmtask chart installed by Helm (helm-java) into a namespace of the cluster. */
final class ChartRelease {
  static final String NAME = "vmtask";
  private static final int INSTALL_TIMEOUT_SECONDS = 300;

  private final KubernetesClient client;
  private final Path kubeconfig;
  private final String namespace;

  private ChartRelease(KubernetesClient client, Path kubeconfig, String namespace) {
    this.client = client;
    this.kubeconfig = kubeconfig;
    this.namespace = namespace;
  }

  /**
   * Installs the chart and waits until the operator is ready. A release left over by an earlier run
   * is removed first.
   */
  static ChartRelease install(
      KubernetesClient client, Path kubeconfig, String namespace, Map<String, Object> values) {
    ChartRelease release = new ChartRelease(client, kubeconfig, namespace);
    release.uninstall();
    InstallCommand install =
        new Helm(RepoRoot.chart())
            .install()
            .withName(NAME)
            .withNamespace(namespace)
            .createNamespace()
            .withKubeConfig(kubeconfig)
            .waitReady()
            .withTimeout(INSTALL_TIMEOUT_SECONDS);
    values.forEach(install::set);
    try {
      Release installed = install.call();
      System.err.println("e2e: installed " + installed.getChart() + " as " + installed.getName());
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "helm install failed: "
              + e.getMessage()
              + "\noperator pods: "
              + release.operatorPodStates()
              + "\n(are the images built and imported? run images/build.sh)",
          e);
    }
    return release;
  }

  /** Upgrades the release to {@code values} (all of them: nothing is reused) and waits. */
  void upgrade(Map<String, Object> values) {
    UpgradeCommand upgrade =
        new Helm(RepoRoot.chart())
            .upgrade()
            .withName(NAME)
            .withNamespace(namespace)
            .withKubeConfig(kubeconfig)
            .waitReady()
            .withTimeout(INSTALL_TIMEOUT_SECONDS);
    values.forEach(upgrade::set);
    upgrade.call();
  }

  String namespace() {
    return namespace;
  }

  /** The operator's replicas (the node daemon's pods carry the same instance label). */
  List<Pod> operatorPods() {
    return podsOf("operator");
  }

  /** The node daemon's pods, one per VM node. */
  List<Pod> nodeDaemonPods() {
    return podsOf("node");
  }

  /**
   * Deletes the node daemon's pods ({@code graceSeconds} 0: killed at once) and waits until the
   * DaemonSet runs a new, ready one.
   */
  void restartNodeDaemon(long graceSeconds) {
    Set<String> old =
        nodeDaemonPods().stream().map(p -> p.getMetadata().getUid()).collect(Collectors.toSet());
    client
        .pods()
        .inNamespace(namespace)
        .withLabel("app.kubernetes.io/instance", NAME)
        .withLabel("app.kubernetes.io/component", "node")
        .withGracePeriod(graceSeconds)
        .delete();
    org.awaitility.Awaitility.await("a new node daemon pod, ready")
        .atMost(java.time.Duration.ofMinutes(3))
        .until(
            () ->
                nodeDaemonPods().stream()
                    .filter(p -> !old.contains(p.getMetadata().getUid()))
                    .anyMatch(
                        p ->
                            p.getStatus().getContainerStatuses() != null
                                && p.getStatus().getContainerStatuses().stream()
                                    .allMatch(c -> Boolean.TRUE.equals(c.getReady()))));
  }

  private List<Pod> podsOf(String component) {
    return client
        .pods()
        .inNamespace(namespace)
        .withLabel("app.kubernetes.io/instance", NAME)
        .withLabel("app.kubernetes.io/component", component)
        .list()
        .getItems();
  }

  void uninstall() {
    Helm.uninstall(NAME)
        .withNamespace(namespace)
        .withKubeConfig(kubeconfig)
        .ignoreNotFound()
        .call();
  }

  private String operatorPodStates() {
    return operatorPods().stream()
        .collect(
            Collectors.toMap(
                p -> p.getMetadata().getName(),
                p ->
                    p.getStatus().getContainerStatuses().stream()
                        .map(ChartRelease::describe)
                        .collect(Collectors.joining(", "))))
        .toString();
  }

  private static String describe(ContainerStatus status) {
    var state = status.getState();
    if (state.getWaiting() != null) {
      return "waiting: " + state.getWaiting().getReason() + " " + state.getWaiting().getMessage();
    }
    if (state.getTerminated() != null) {
      return "terminated: " + state.getTerminated().getReason();
    }
    return "running, ready=" + status.getReady();
  }
}
