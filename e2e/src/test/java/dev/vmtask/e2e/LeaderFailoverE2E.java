package dev.vmtask.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.testbed.Mode;
import dev.vmtask.testbed.TestNamespace;
import dev.vmtask.testbed.Testbed;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Two operator replicas share one Lease: when the leader's pod goes away, the standby takes over
 * and tasks keep running. Runs late because it replaces an operator pod.
 */
@Testbed(Mode.FULL)
@Order(Integer.MAX_VALUE - 1)
class LeaderFailoverE2E {
  /** The operator's Lease (VmtaskOperator.LEASE_NAME), in the release namespace. */
  private static final String LEASE = "vmtask-operator";

  @Test
  void standbyTakesOverWhenTheLeaderGoesAway(KubernetesClient client, TestNamespace namespace) {
    E2eEnvironment env = E2eEnvironment.get(client);
    ChartRelease release = env.release();
    await()
        .atMost(Duration.ofMinutes(2))
        .untilAsserted(
            () -> assertThat(readyPods(release)).as("ready operator replicas").hasSize(2));
    String leader = awaitHolder(client, release, null);
    assertThat(readyPods(release)).extracting(p -> p.getMetadata().getName()).contains(leader);

    client.pods().inNamespace(release.namespace()).withName(leader).delete();
    String successor = awaitHolder(client, release, leader);

    assertThat(successor).isNotEqualTo(leader);
    Tasks tasks = new Tasks(client, namespace.name());
    tasks.createImage(Manifests.image("guest", env.guestUrl(), env.guest().sha256()));
    tasks.create(Manifests.task("after-failover", "guest", "echo served by the new leader", 600));
    VirtualMachineTask done = tasks.awaitFinished("after-failover");
    assertThat(done.getStatus().getPhase())
        .as("log:%n%s", tasks.log(done))
        .isEqualTo(TaskPhase.Succeeded);
    assertThat(lease(client, release).getSpec().getHolderIdentity()).isEqualTo(successor);
    // The Deployment replaces the deleted pod, which becomes the new standby.
    await()
        .atMost(Duration.ofMinutes(2))
        .untilAsserted(() -> assertThat(readyPods(release)).hasSize(2));
  }

  /** The Lease's holder once it is a live pod other than {@code previous}. */
  private static String awaitHolder(
      KubernetesClient client, ChartRelease release, String previous) {
    return await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () -> {
              Lease lease = lease(client, release);
              String holder = lease == null ? null : lease.getSpec().getHolderIdentity();
              boolean live =
                  readyPods(release).stream()
                      .anyMatch(p -> p.getMetadata().getName().equals(holder));
              return live && !holder.equals(previous) ? holder : null;
            },
            holder -> holder != null);
  }

  private static Lease lease(KubernetesClient client, ChartRelease release) {
    return client.leases().inNamespace(release.namespace()).withName(LEASE).get();
  }

  private static List<Pod> readyPods(ChartRelease release) {
    return release.pods().stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .filter(
            p ->
                p.getStatus().getContainerStatuses().stream()
                    .allMatch(c -> Boolean.TRUE.equals(c.getReady())))
        .filter(p -> !p.getStatus().getContainerStatuses().isEmpty())
        .toList();
  }
}
