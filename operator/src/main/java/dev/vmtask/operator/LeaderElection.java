package dev.vmtask.operator;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import java.time.ZonedDateTime;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Leader election among the operator's replicas on one Lease. A replica that loses the Lease exits
 * so that it can never reconcile beside the new leader; one that is shutting down hands the Lease
 * over at once instead, so a rolling update does not wait out the lease duration.
 */
final class LeaderElection {
  private final String namespace;
  private final String identity;
  private final AtomicBoolean shuttingDown = new AtomicBoolean();

  LeaderElection(String namespace, String identity) {
    this.namespace = namespace;
    this.identity = identity;
  }

  LeaderElectionConfiguration configuration() {
    return new LeaderElectionConfiguration(
        VmtaskOperator.LEASE_NAME,
        namespace,
        LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE,
        LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
        LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE,
        identity,
        new LeaderCallbacks(() -> {}, this::stoppedLeading, leader -> {}),
        // JOSDK's own exit runs System.exit on the thread that stops the operator; from a shutdown
        // hook that blocks forever, and the pod is only killed at the end of its grace period.
        false);
  }

  /** Called before the operator stops for good: losing the Lease is then expected. */
  void shuttingDown() {
    shuttingDown.set(true);
  }

  private void stoppedLeading() {
    if (shuttingDown.get()) {
      return;
    }
    System.err.println("vmtask-operator: lost the leader Lease; exiting so another replica leads");
    // A thread of its own: exit waits for the shutdown hook, which waits for this callback's pool.
    new Thread(() -> System.exit(1), "vmtask-lost-lease").start();
  }

  /**
   * Gives up the Lease if this replica holds it (after the controllers stopped): an empty holder
   * lets a standby take it on its next try, as client-go's ReleaseOnCancel does.
   */
  void release(KubernetesClient client) {
    try {
      var lease = client.leases().inNamespace(namespace).withName(VmtaskOperator.LEASE_NAME);
      Lease current = lease.get();
      if (current == null || !identity.equals(current.getSpec().getHolderIdentity())) {
        return;
      }
      current.getSpec().setHolderIdentity("");
      current.getSpec().setLeaseDurationSeconds(1);
      current.getSpec().setRenewTime(ZonedDateTime.now());
      // Optimistic (resourceVersion): fails if another replica changed it meanwhile.
      client.leases().inNamespace(namespace).resource(current).update();
    } catch (KubernetesClientException e) {
      System.err.println("vmtask-operator: could not release the leader Lease: " + e.getMessage());
    }
  }
}
