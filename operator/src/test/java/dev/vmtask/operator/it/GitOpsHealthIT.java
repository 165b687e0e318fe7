package dev.vmtask.operator.it;

import static dev.vmtask.operator.it.ItSupport.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtask.api.image.ImagePhase;
import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.operator.Fixtures;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tasks and images in every state, judged by the real kstatus library (sigs.k8s.io/cli-utils, as
 * Flux does) and by the Argo CD health scripts of docs/argocd run in Argo CD's Lua interpreter.
 */
class GitOpsHealthIT {
  private ItSupport it;
  private ItCluster c;

  @BeforeEach
  void start() throws Exception {
    it = new ItSupport(Map.of());
    c = it.cluster;
  }

  @AfterEach
  void stop() {
    it.close();
  }

  @Test
  void finishedFailedAndBusyObjectsAreCurrentFailedAndInProgress() throws Exception {
    c.readyImage("ok");
    c.createImage("bad");
    eventually().until(() -> c.pod("bad-fetch-g1") != null);
    c.kubelet.bind("bad-fetch-g1");
    c.kubelet.terminated(
        "bad-fetch-g1",
        125,
        "Error",
        "{\"exitCode\":125,\"reason\":\"ImageFailed\",\"message\":\"sha256 mismatch\"}");
    c.createImage("new");

    c.createTask(Fixtures.task(c.namespace, "done", "ok"));
    c.createTask(Fixtures.task(c.namespace, "broken", "ok"));
    c.createTask(Fixtures.task(c.namespace, "busy", "ok"));
    for (String t : List.of("done", "broken", "busy")) {
      eventually().until(() -> c.pod(t + "-1") != null);
      c.kubelet.bind(t + "-1");
    }
    c.kubelet.terminated("done-1", 0, "Completed", FakeKubelet.report(0, "Completed", "ok"));
    c.kubelet.terminated("broken-1", 1, "Error", FakeKubelet.report(1, "NonZeroExit", "exit 1"));
    c.kubelet.running("busy-1", true);
    eventually()
        .until(
            () ->
                phase(c.task("done")) == TaskPhase.Succeeded
                    && phase(c.task("broken")) == TaskPhase.Failed
                    && phase(c.task("busy")) == TaskPhase.Running
                    && c.image("bad").getStatus().getPhase() == ImagePhase.Failed
                    && c.image("new").getStatus() != null);

    List<HasMetadata> objects = new ArrayList<>();
    for (String t : List.of("done", "broken", "busy")) {
      objects.add(c.task(t));
    }
    for (String i : List.of("ok", "bad", "new")) {
      objects.add(c.image(i));
    }
    assertThat(judge(objects))
        .containsExactly(
            "VirtualMachineTask/done kstatus=Current argocd=Healthy",
            "VirtualMachineTask/broken kstatus=Failed argocd=Degraded",
            "VirtualMachineTask/busy kstatus=InProgress argocd=Progressing",
            "VMImage/ok kstatus=Current argocd=Healthy",
            "VMImage/bad kstatus=Failed argocd=Degraded",
            "VMImage/new kstatus=InProgress argocd=Progressing");
  }

  private static TaskPhase phase(VirtualMachineTask task) {
    return task.getStatus() == null ? null : task.getStatus().getPhase();
  }

  /** Each object's "Kind/name kstatus=… argocd=…", from the gitops-health command. */
  private static List<String> judge(List<HasMetadata> objects) throws Exception {
    // The path is the script's last line: a first build also shows Go's module downloads.
    String built = run(List.of("bash", "src/test/go/gitops-health/build.sh"), "").strip();
    String tool = built.substring(built.lastIndexOf('\n') + 1).strip();
    var json = new KubernetesSerialization();
    String list =
        "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":["
            + String.join(",", objects.stream().map(json::asJson).toList())
            + "]}";
    String out = run(List.of(tool, Path.of("../docs/argocd").toString()), list);
    return out.lines().map(l -> l.substring(0, l.indexOf(" |"))).toList();
  }

  private static String run(List<String> command, String stdin) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try (var in = p.getOutputStream()) {
      in.write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IOException(command + " failed: " + out);
    }
    return out;
  }
}
