package dev.vmtask.operator.it;

import dev.vmtask.api.image.ImagePhase;
import dev.vmtask.api.image.VMImage;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.operator.Fixtures;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.UUID;

/** Objects of one IT namespace, and the one fake node the tests bind pods to. */
public final class ItCluster {
  final KubernetesClient client;
  final String namespace;
  final String node;
  final FakeKubelet kubelet;

  ItCluster(KubernetesClient client, String namespace, String node) {
    this.client = client;
    this.namespace = namespace;
    this.node = node;
    this.kubelet = new FakeKubelet(client, namespace, node);
  }

  /** A Node object without a kubelet; unschedulable so the scheduler never picks it itself. */
  public static String createNode(KubernetesClient client, String labelValue) {
    String name = "it-node-" + UUID.randomUUID().toString().substring(0, 8);
    client
        .nodes()
        .resource(
            new NodeBuilder()
                .withNewMetadata()
                .withName(name)
                .addToLabels(RunningOperator.NODE_LABEL, labelValue)
                .addToLabels("vmtask.dev/prefetch", labelValue)
                .endMetadata()
                .withNewSpec()
                .withUnschedulable(true)
                .endSpec()
                .build())
        .create();
    return name;
  }

  VMImage createImage(String name) {
    VMImage image = Fixtures.image(namespace, name);
    image.getMetadata().setUid(null);
    image.getMetadata().setGeneration(null);
    return client.resource(image).create();
  }

  /** An image made Ready by its fetch pod's report, as a kubelet would write it. */
  void readyImage(String name) {
    createImage(name);
    String pod = name + "-fetch-g1";
    ItSupport.eventually().until(() -> pod(pod) != null);
    kubelet.bind(pod);
    kubelet.terminated(pod, 0, "Completed", FakeKubelet.report(0, "Completed", "fetched"));
    ItSupport.eventually()
        .until(
            () ->
                image(name).getStatus() != null
                    && image(name).getStatus().getPhase() == ImagePhase.Ready);
  }

  VirtualMachineTask createTask(VirtualMachineTask task) {
    task.getMetadata().setUid(null);
    task.getMetadata().setGeneration(null);
    return client.resource(task).create();
  }

  VirtualMachineTask task(String name) {
    return client.resources(VirtualMachineTask.class).inNamespace(namespace).withName(name).get();
  }

  VMImage image(String name) {
    return client.resources(VMImage.class).inNamespace(namespace).withName(name).get();
  }

  List<Pod> pods() {
    return client.pods().inNamespace(namespace).list().getItems();
  }

  Pod pod(String name) {
    return client.pods().inNamespace(namespace).withName(name).get();
  }

  List<Event> events() {
    return client.events().v1().events().inNamespace(namespace).list().getItems();
  }
}
