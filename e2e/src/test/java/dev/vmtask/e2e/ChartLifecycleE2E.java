package dev.vmtask.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import dev.vmtask.testbed.Mode;
import dev.vmtask.testbed.Testbed;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The release itself: the operator runs in the cluster under its own ServiceAccount, and
 * uninstalling leaves nothing running. Runs after the other end-to-end classes (it uninstalls).
 */
@Testbed(Mode.FULL)
@Order(Integer.MAX_VALUE)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChartLifecycleE2E {

  @Test
  @Order(1)
  void operatorRunsInTheClusterUnderItsOwnServiceAccount(KubernetesClient client) {
    ChartRelease release = E2eEnvironment.get(client).release();

    assertThat(release.operatorPods())
        .hasSize(2)
        .allSatisfy(
            pod -> {
              assertThat(pod.getSpec().getServiceAccountName()).isEqualTo(ChartRelease.NAME);
              assertThat(pod.getStatus().getPhase()).isEqualTo("Running");
              assertThat(pod.getStatus().getContainerStatuses())
                  .allSatisfy(c -> assertThat(c.getReady()).isTrue());
              assertThat(pod.getSpec().getContainers().get(0).getImage())
                  .isEqualTo("vmtask.dev/vmtask-operator:0.1.0");
            });
    assertThat(client.rbac().clusterRoleBindings().withName(ChartRelease.NAME).get().getSubjects())
        .extracting("name", "namespace")
        .containsExactly(tuple(ChartRelease.NAME, release.namespace()));
    // The testbed has one VM node: one daemon, under a ServiceAccount of its own.
    assertThat(release.nodeDaemonPods())
        .singleElement()
        .satisfies(
            pod -> {
              assertThat(pod.getSpec().getServiceAccountName())
                  .isEqualTo(ChartRelease.NAME + "-node");
              assertThat(pod.getSpec().getContainers().get(0).getImage())
                  .isEqualTo("vmtask.dev/vmtask-node:0.1.0");
            });
  }

  @Test
  @Order(2)
  void uninstallLeavesNoPodBehind(KubernetesClient client) {
    ChartRelease release = E2eEnvironment.get(client).release();
    assertThat(release.operatorPods()).isNotEmpty();

    release.uninstall();

    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () ->
                assertThat(client.pods().inNamespace(release.namespace()).list().getItems())
                    .extracting(Pod::getMetadata)
                    .extracting("name")
                    .isEmpty());
    assertThat(client.rbac().clusterRoles().withName(ChartRelease.NAME).get()).isNull();
    assertThat(client.rbac().clusterRoleBindings().withName(ChartRelease.NAME).get()).isNull();
    assertThat(client.rbac().clusterRoles().withName(ChartRelease.NAME + "-node").get()).isNull();
    assertThat(client.apps().deployments().inNamespace(release.namespace()).list().getItems())
        .isEmpty();
  }
}
