package dev.vmtask.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtask.api.image.VMImage;
import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.VirtualMachineTask;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;

/**
 * Objects written by a newer operator (fields and reasons this version does not know) are read, not
 * refused: one refusal in an informer's list stops the operator, as a rollback would show.
 */
class ForwardCompatibilityTest {
  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  @Test
  void aTaskWithUnknownFieldsAndReasonIsRead() {
    VirtualMachineTask task =
        JSON.unmarshal(
            """
            {"apiVersion": "vmtask.dev/v1alpha1", "kind": "VirtualMachineTask",
             "metadata": {"name": "t", "namespace": "ns"},
             "spec": {"image": "i", "command": ["true"], "futureSpecField": {"a": 1}},
             "status": {"phase": "Failed", "reason": "SomethingNew", "exitCode": 125,
                        "timings": {"bootMs": 5, "futureStageMs": 7}, "futureStatus": true}}
            """,
            VirtualMachineTask.class);
    assertThat(task.getStatus().getPhase()).isEqualTo(TaskPhase.Failed);
    assertThat(task.getStatus().getReason()).isNull();
    assertThat(task.getStatus().getTimings().getBootMs()).isEqualTo(5);
    assertThat(task.getSpec().getImage()).isEqualTo("i");
  }

  @Test
  void anImageWithUnknownFieldsIsRead() {
    VMImage image =
        JSON.unmarshal(
            """
            {"apiVersion": "vmtask.dev/v1alpha1", "kind": "VMImage",
             "metadata": {"name": "i", "namespace": "ns"},
             "spec": {"source": {"http": {"url": "https://x/i.tar.zst", "future": 1}},
                      "format": "tar.zst", "futureSpec": "x"},
             "status": {"phase": "Ready", "nodes": [{"name": "a", "future": 2}]}}
            """,
            VMImage.class);
    assertThat(image.getStatus().getNodes()).extracting(n -> n.getName()).containsExactly("a");
  }
}
