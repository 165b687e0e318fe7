package dev.vmtask.operator.pod;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtask.api.machine.Machine;
import dev.vmtask.operator.Fixtures;
import dev.vmtask.operator.OperatorConfig;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrunedPodStoreTest {
  @Test
  void aCachedTaskPodKeepsWhatTheOperatorReadsAndLosesItsSpec() {
    var config = OperatorConfig.fromEnv(Map.of("VMTASK_AGENT_IMAGE", "registry.local/agent:1"));
    var machine = new Machine();
    machine.setCpus(1);
    machine.setMemoryMiB(256);
    Pod pod =
        new TaskPodFactory(config)
            .create(
                Fixtures.task("ns", "t", "img"),
                Fixtures.readyImage("ns", "img"),
                machine,
                1,
                new AccelerationPlan(AccelerationPlan.Kind.TCG, "tcg"));
    pod.getSpec().setNodeName("node-a");
    pod.getMetadata()
        .getManagedFields()
        .add(new ManagedFieldsEntryBuilder().withManager("kubelet").build());
    pod.setStatus(
        new io.fabric8.kubernetes.api.model.PodStatusBuilder()
            .withPhase("Running")
            .addNewContainerStatus()
            .withName("agent")
            .withReady(true)
            .endContainerStatus()
            .build());

    var store = new PrunedPodStore();
    store.put(store.getKey(pod), pod);
    Pod cached = store.get(store.getKey(pod));

    assertThat(cached.getMetadata().getName()).isEqualTo(pod.getMetadata().getName());
    assertThat(cached.getMetadata().getLabels()).isEqualTo(pod.getMetadata().getLabels());
    assertThat(cached.getMetadata().getAnnotations()).isEqualTo(pod.getMetadata().getAnnotations());
    assertThat(cached.getMetadata().getOwnerReferences())
        .isEqualTo(pod.getMetadata().getOwnerReferences());
    assertThat(cached.getMetadata().getManagedFields()).isEmpty();
    assertThat(cached.getSpec().getNodeName()).isEqualTo("node-a");
    assertThat(cached.getSpec().getContainers()).isEmpty();
    assertThat(cached.getStatus()).isEqualTo(pod.getStatus());
    var json = new KubernetesSerialization();
    assertThat(json.asJson(cached).length())
        .as("a fraction of the pod")
        .isLessThan(json.asJson(pod).length() / 2);
  }
}
