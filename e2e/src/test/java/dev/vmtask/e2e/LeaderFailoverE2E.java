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
import java.time.ZonedDateTime;
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

  /** Longer than the chart's default, so that being killed at its end cannot pass the test. */
  private static final Duration GRACE = Duration.ofSeconds(120);

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

    long deleted = System.nanoTime();
    var leaderPod = client.pods().inNamespace(release.namespace()).withName(leader);
    leaderPod.withGracePeriod(GRACE.toSeconds()).delete();
    String successor = awaitHolder(client, release, leader);
    long tookOver = System.nanoTime();
    // Gone well before its grace period ends: the operator stopped on SIGTERM, not on SIGKILL.
    await()
        .atMost(GRACE.dividedBy(2))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> leaderPod.get() == null);
    System.err.printf(
        "e2e: leader pod deleted; the standby took over after %.1f s, the old leader was gone after"
            + " %.1f s%n",
        (tookOver - deleted) / 1e9, (System.nanoTime() - deleted) / 1e9);

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

  @Test
  void aLeaderThatLosesItsLeaseExitsAndComesBackAsAStandby(KubernetesClient client) {
    ChartRelease release = E2eEnvironment.get(client).release();
    await()
        .atMost(Duration.ofMinutes(2))
        .untilAsserted(() -> assertThat(readyPods(release)).hasSize(2));
    String leader = awaitHolder(client, release, null);
    int restarts = restarts(release, leader);

    // Another holder appears, as after a network partition: the old leader must stop at once.
    Lease stolen = lease(client, release);
    stolen.getSpec().setHolderIdentity("intruder");
    stolen.getSpec().setLeaseDurationSeconds(20);
    stolen.getSpec().setRenewTime(ZonedDateTime.now());
    client.leases().inNamespace(release.namespace()).resource(stolen).update();

    await()
        .atMost(Duration.ofMinutes(1))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () ->
                assertThat(restarts(release, leader))
                    .as("restarts of %s", leader)
                    .isGreaterThan(restarts));
    String next = awaitHolder(client, release, "intruder");
    assertThat(next)
        .isIn(release.operatorPods().stream().map(p -> p.getMetadata().getName()).toList());
  }

  private static int restarts(ChartRelease release, String pod) {
    return release.operatorPods().stream()
        .filter(p -> p.getMetadata().getName().equals(pod))
        .flatMap(p -> p.getStatus().getContainerStatuses().stream())
        .mapToInt(c -> c.getRestartCount())
        .sum();
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
    return release.operatorPods().stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .filter(
            p ->
                p.getStatus().getContainerStatuses().stream()
                    .allMatch(c -> Boolean.TRUE.equals(c.getReady())))
        .filter(p -> !p.getStatus().getContainerStatuses().isEmpty())
        .toList();
  }
}
