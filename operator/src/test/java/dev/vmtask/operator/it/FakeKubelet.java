package dev.vmtask.operator.it;

import io.fabric8.kubernetes.api.model.BindingBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

/**
 * Writes what the scheduler and a kubelet would: a Binding, then pod status through the {@code
 * pods/status} subresource. The control-plane-only testbed runs no kubelet.
 */
public final class FakeKubelet {
  private final KubernetesClient client;
  private final String namespace;
  private final String node;

  public FakeKubelet(KubernetesClient client, String namespace, String node) {
    this.client = client;
    this.namespace = namespace;
    this.node = node;
  }

  public void bind(String pod) {
    client
        .bindings()
        .inNamespace(namespace)
        .resource(
            new BindingBuilder()
                .withNewMetadata()
                .withName(pod)
                .endMetadata()
                .withNewTarget()
                .withApiVersion("v1")
                .withKind("Node")
                .withName(node)
                .endTarget()
                .build())
        .create();
  }

  /** Agent container created but not running (image pull, init container). */
  void starting(String pod) {
    waiting(pod, "PodInitializing", null);
  }

  /** The agent container waits for the kubelet, as it does while its volumes are set up. */
  void waiting(String pod, String reason, String message) {
    status(
        pod,
        s -> {
          s.setPhase("Pending");
          s.setContainerStatuses(
              List.of(
                  agent()
                      .withReady(false)
                      .withNewState()
                      .withNewWaiting()
                      .withReason(reason)
                      .withMessage(message)
                      .endWaiting()
                      .endState()
                      .build()));
        });
  }

  /** The scheduler's verdict on a pod it cannot place. */
  void unschedulable(String pod, String message) {
    status(
        pod,
        s -> {
          s.setPhase("Pending");
          s.setConditions(
              List.of(
                  new PodConditionBuilder()
                      .withType("PodScheduled")
                      .withStatus("False")
                      .withReason("Unschedulable")
                      .withMessage(message)
                      .withLastTransitionTime(Instant.now().toString())
                      .build()));
        });
  }

  /**
   * A FailedMount event as the kubelet records one (core/v1, one object per pod and message kind,
   * updated in place as it repeats), with the driver's answer wrapped in the kubelet's words.
   */
  void mountFailed(String pod, String event, String driverMessage) {
    Pod p = get(pod);
    client
        .v1()
        .events()
        .inNamespace(namespace)
        .resource(
            new EventBuilder()
                .withNewMetadata()
                .withName(pod + "." + event)
                .endMetadata()
                .withInvolvedObject(
                    new ObjectReferenceBuilder()
                        .withApiVersion("v1")
                        .withKind("Pod")
                        .withName(pod)
                        .withNamespace(namespace)
                        .withUid(p.getMetadata().getUid())
                        .build())
                .withReason("FailedMount")
                .withType("Warning")
                .withMessage(
                    "MountVolume.SetUp failed for volume \"image\" : rpc error: code = Unavailable"
                        + " desc = "
                        + driverMessage)
                .withNewSource()
                .withComponent("kubelet")
                .withHost(node)
                .endSource()
                .withFirstTimestamp(Instant.now().toString())
                .withLastTimestamp(Instant.now().toString())
                .withCount(1)
                .build())
        .createOr(NonDeletingOperation::update);
  }

  void running(String pod, boolean ready) {
    status(
        pod,
        s -> {
          s.setPhase("Running");
          s.setStartTime(Instant.now().toString());
          s.setContainerStatuses(
              List.of(
                  agent()
                      .withReady(ready)
                      .withStarted(true)
                      .withNewState()
                      .withNewRunning()
                      .withStartedAt(Instant.now().toString())
                      .endRunning()
                      .endState()
                      .build()));
        });
  }

  /** The agent exited; {@code message} is the termination message (may be null or garbage). */
  public void terminated(String pod, int exitCode, String containerReason, String message) {
    status(
        pod,
        s -> {
          s.setPhase(exitCode == 0 ? "Succeeded" : "Failed");
          s.setContainerStatuses(
              List.of(
                  agent()
                      .withReady(false)
                      .withNewState()
                      .withNewTerminated()
                      .withExitCode(exitCode)
                      .withReason(containerReason)
                      .withMessage(message)
                      .withStartedAt(Instant.now().minusSeconds(5).toString())
                      .withFinishedAt(Instant.now().toString())
                      .endTerminated()
                      .endState()
                      .build()));
        });
  }

  /** The pod failed as a whole, as the kubelet reports evictions and deadlines. */
  void podFailed(String pod, String reason, String message) {
    status(
        pod,
        s -> {
          s.setPhase("Failed");
          s.setReason(reason);
          s.setMessage(message);
        });
  }

  Pod get(String pod) {
    return client.pods().inNamespace(namespace).withName(pod).get();
  }

  private void status(String pod, Consumer<PodStatus> change) {
    client
        .pods()
        .inNamespace(namespace)
        .withName(pod)
        .editStatus(
            p -> {
              if (p.getStatus() == null) {
                p.setStatus(new PodStatus());
              }
              change.accept(p.getStatus());
              return p;
            });
  }

  private static ContainerStatusBuilder agent() {
    return new ContainerStatusBuilder()
        .withName("agent")
        .withImage("vmtask-agent")
        .withImageID("")
        .withRestartCount(0);
  }

  public static String report(int exitCode, String reason, String message) {
    return "{\"exitCode\":"
        + exitCode
        + ",\"reason\":\""
        + reason
        + "\",\"message\":\""
        + message
        + "\",\"acceleration\":\"tcg\",\"image\":{\"digest\":\"sha256:"
        + "a".repeat(64)
        + "\",\"sizeBytes\":1000,\"virtualSizeBytes\":4000,\"cached\":true},"
        + "\"timings\":{\"imageMs\":5,\"bootMs\":3000,\"commandMs\":20,\"totalMs\":3100}}";
  }
}
