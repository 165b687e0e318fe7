package dev.vmtask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plugin run in-process against {@link FakeApiServer}: exit codes and what is printed. */
class VmtaskCliTest {
  private static final String TASKS =
      "/apis/vmtask.dev/v1alpha1/namespaces/%s/virtualmachinetasks/";

  @TempDir Path dir;
  private FakeApiServer api;
  private Map<String, String> env;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeEach
  void startApi() throws Exception {
    api = new FakeApiServer();
    env =
        new HashMap<>(Map.of("KUBECONFIG", api.kubeconfig(dir).toString(), "HOME", dir.toString()));
  }

  @AfterEach
  void stopApi() {
    api.close();
  }

  private int run(String... args) {
    return VmtaskCli.run(
        args,
        new ByteArrayInputStream(new byte[0]),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8),
        env);
  }

  private static String list(String namespace) {
    String tasks = TASKS.formatted(namespace);
    return tasks.substring(0, tasks.length() - 1);
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  private static String task(String namespace, String name, String status) {
    return """
        {"apiVersion":"vmtask.dev/v1alpha1","kind":"VirtualMachineTask",
         "metadata":{"name":"%s","namespace":"%s","creationTimestamp":"2025-01-01T00:00:00Z"},
         "spec":{},"status":%s}
        """
        .formatted(name, namespace, status);
  }

  private static String runningPod(String namespace, String name) {
    return """
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s","namespace":"%s"},
         "status":{"phase":"Running"}}
        """
        .formatted(name, namespace);
  }

  @Test
  void helpAndUsageErrors() {
    assertThat(run()).isZero();
    assertThat(out()).contains("Usage: kubectl vmtask COMMAND");
    assertThat(run("help")).isZero();
    assertThat(run("frobnicate", "x")).isEqualTo(2);
    assertThat(err()).contains("error: unknown command \"frobnicate\"").contains("Usage:");
    err.reset();
    assertThat(run("logs")).isEqualTo(2);
    assertThat(err()).startsWith("error: logs needs the name of a task");
    err.reset();
    assertThat(run("wait", "t1", "--follow")).isEqualTo(2);
    assertThat(err()).startsWith("error: unknown flag --follow for wait");
  }

  @Test
  void aMissingTaskIsNamedWithItsNamespace() {
    assertThat(run("wait", "nope")).isEqualTo(1);
    assertThat(err()).isEqualTo("error: virtualmachinetask ns1/nope not found\n");
    err.reset();
    assertThat(run("logs", "nope", "--context", "other")).isEqualTo(1);
    assertThat(err()).isEqualTo("error: virtualmachinetask ns2/nope not found\n");
    err.reset();
    assertThat(run("-n", "ns3", "console", "nope", "--context", "other")).isEqualTo(1);
    assertThat(err()).isEqualTo("error: virtualmachinetask ns3/nope not found\n");
    err.reset();
    assertThat(run("get", "nope", "--context", "missing")).isEqualTo(1);
    assertThat(err()).contains("context \"missing\" does not exist");
  }

  @Test
  void waitOnAFinishedTaskReportsItAndExitsWithItsCode() {
    api.answer(
        TASKS.formatted("ns1") + "t1",
        200,
        task(
            "ns1",
            "t1",
            "{\"phase\":\"Failed\",\"reason\":\"NonZeroExit\",\"exitCode\":3,"
                + "\"message\":\"the guest command exited 3\"}"));
    assertThat(run("wait", "t1", "--timeout", "5s")).isEqualTo(3);
    assertThat(out())
        .isEqualTo("t1 Failed (NonZeroExit, exit code 3): the guest command exited 3\n");
  }

  @Test
  void waitWatchesUntilTheTaskFinishes() {
    String running = task("ns1", "t1", "{\"phase\":\"Running\"}");
    String succeeded =
        task(
            "ns1",
            "t1",
            "{\"phase\":\"Succeeded\",\"reason\":\"Completed\",\"exitCode\":0,"
                + "\"message\":\"the guest command exited 0\"}");
    api.answer(TASKS.formatted("ns1") + "t1", 200, running);
    api.answer(
        list("ns1"),
        200,
        "{\"apiVersion\":\"vmtask.dev/v1alpha1\",\"kind\":\"VirtualMachineTaskList\","
            + "\"metadata\":{\"resourceVersion\":\"1\"},\"items\":["
            + running
            + "]}");
    api.answer(
        list("ns1") + "?watch",
        200,
        "{\"type\":\"MODIFIED\",\"object\":"
            // A new resourceVersion, or the informer takes it for the object it has.
            + succeeded.replace("\n", "").replace("\"t1\",", "\"t1\",\"resourceVersion\":\"2\",")
            + "}\n");
    assertThat(run("wait", "t1", "--timeout", "20s")).as(this::err).isZero();
    assertThat(out())
        .isEqualTo("t1 Succeeded (Completed, exit code 0): the guest command exited 0\n");
  }

  @Test
  void waitTimesOutWith124() {
    String running = task("ns1", "t1", "{\"phase\":\"Running\"}");
    api.answer(TASKS.formatted("ns1") + "t1", 200, running);
    api.answer(
        list("ns1"),
        200,
        "{\"apiVersion\":\"vmtask.dev/v1alpha1\",\"kind\":\"VirtualMachineTaskList\","
            + "\"metadata\":{\"resourceVersion\":\"1\"},\"items\":["
            + running
            + "]}");
    // A watch that ends at once without events: the informer watches again, and again.
    api.answer(list("ns1") + "?watch", 200, "");
    assertThat(run("wait", "t1", "--timeout", "1s")).as(this::err).isEqualTo(124);
    assertThat(err())
        .isEqualTo("error: timed out after 1s waiting for task t1 to finish (phase Running)\n");
  }

  @Test
  void logsFollowWaitsForTheContainerThenStreams() {
    api.answer(
        TASKS.formatted("ns1") + "t1",
        200,
        task("ns1", "t1", "{\"phase\":\"Running\",\"podName\":\"t1-1\"}"));
    api.answer(
        "/api/v1/namespaces/ns1/pods",
        200,
        """
        {"apiVersion":"v1","kind":"PodList","metadata":{"resourceVersion":"5"},"items":[
         {"metadata":{"name":"t1-1","namespace":"ns1","resourceVersion":"5"},
          "status":{"phase":"Running","containerStatuses":[
           {"name":"agent","state":{"running":{"startedAt":"2025-01-01T00:00:00Z"}}}]}}]}
        """);
    api.answer("/api/v1/namespaces/ns1/pods/t1-1/log", 200, "vmtask-agent: up\nfollowed\n");
    assertThat(run("logs", "t1", "-f")).isZero();
    assertThat(out()).isEqualTo("followed\n");
    assertThat(api.requests)
        .contains("GET /api/v1/namespaces/ns1/pods/t1-1/log?container=agent&follow=true");
  }

  @Test
  void logsDropTheAgentsLinesUnlessAll() {
    api.answer(
        TASKS.formatted("ns1") + "t1",
        200,
        task("ns1", "t1", "{\"phase\":\"Running\",\"podName\":\"t1-1\"}"));
    api.answer(
        "/api/v1/namespaces/ns1/pods/t1-1/log",
        200,
        "vmtask-agent: booting\nhello\nvmtask-agent: running\nworld\n");
    assertThat(run("logs", "t1")).isZero();
    assertThat(out()).isEqualTo("hello\nworld\n");
    out.reset();
    assertThat(run("logs", "t1", "--all")).isZero();
    assertThat(out()).isEqualTo("vmtask-agent: booting\nhello\nvmtask-agent: running\nworld\n");
    assertThat(api.requests).contains("GET /api/v1/namespaces/ns1/pods/t1-1/log?container=agent");
  }

  @Test
  void logsOfATaskWithoutPod() {
    api.answer(TASKS.formatted("ns1") + "t1", 200, task("ns1", "t1", "{\"phase\":\"Pending\"}"));
    api.answer(
        "/api/v1/namespaces/ns1/pods",
        200,
        "{\"apiVersion\":\"v1\",\"kind\":\"PodList\",\"items\":[]}");
    assertThat(run("logs", "t1")).isEqualTo(1);
    assertThat(err()).isEqualTo("error: task t1 has no pod yet (phase Pending)\n");
  }

  @Test
  void aLogTheServerRefusesIsAnErrorNotOutput() {
    api.answer(
        TASKS.formatted("ns1") + "t1",
        200,
        task("ns1", "t1", "{\"phase\":\"Scheduled\",\"podName\":\"t1-1\"}"));
    api.answer(
        "/api/v1/namespaces/ns1/pods/t1-1/log",
        400,
        FakeApiServer.status(
            400,
            "BadRequest",
            "container \"agent\" in pod \"t1-1\" is waiting to start: ContainerCreating"));
    assertThat(run("logs", "t1")).isEqualTo(1);
    assertThat(out()).isEmpty();
    assertThat(err())
        .isEqualTo(
            "error: cannot read the log of pod ns1/t1-1 (HTTP 400): container \"agent\" in pod"
                + " \"t1-1\" is waiting to start: ContainerCreating\n");
  }

  @Test
  void interactiveCommandsRefuseATaskWhoseVmIsNotRunning() {
    api.answer(
        TASKS.formatted("ns1") + "t1",
        200,
        task("ns1", "t1", "{\"phase\":\"Succeeded\",\"podName\":\"t1-1\",\"exitCode\":0}"));
    assertThat(run("shell", "t1", "--", "true")).isEqualTo(1);
    assertThat(err()).isEqualTo("error: task t1 is Succeeded; its VM is not running\n");
    err.reset();
    assertThat(run("vnc", "t1", "--port", "0")).isEqualTo(1);
    assertThat(err()).isEqualTo("error: task t1 is Succeeded; its VM is not running\n");
  }

  @Test
  void aForbiddenPortForwardSaysWhatPermissionIsMissing() {
    api.answer(
        TASKS.formatted("ns1") + "t1",
        200,
        task("ns1", "t1", "{\"phase\":\"Running\",\"podName\":\"t1-1\"}"));
    api.answer("/api/v1/namespaces/ns1/pods/t1-1", 200, runningPod("ns1", "t1-1"));
    api.answer(
        "/api/v1/namespaces/ns1/pods/t1-1/portforward",
        403,
        FakeApiServer.status(
            403,
            "Forbidden",
            "pods \"t1-1\" is forbidden: User \"bob\" cannot create resource \"pods/portforward\""
                + " in API group \"\" in the namespace \"ns1\""));
    assertThat(run("shell", "t1", "--", "uname", "-a")).isEqualTo(1);
    assertThat(err())
        .isEqualTo(
            "error: not allowed to port-forward to pod ns1/t1-1 (needs create on"
                + " pods/portforward): pods \"t1-1\" is forbidden: User \"bob\" cannot create"
                + " resource \"pods/portforward\" in API group \"\" in the namespace \"ns1\"\n");
    assertThat(api.requests)
        .contains("GET /api/v1/namespaces/ns1/pods/t1-1/portforward?ports=8100");
  }

  @Test
  void theInteractivePortCanBeOverridden() {
    env.put("VMTASK_INTERACTIVE_PORT", "18100");
    api.answer(
        TASKS.formatted("ns1") + "t1",
        200,
        task("ns1", "t1", "{\"phase\":\"Booting\",\"podName\":\"t1-1\"}"));
    api.answer("/api/v1/namespaces/ns1/pods/t1-1", 200, runningPod("ns1", "t1-1"));
    api.answer(
        "/api/v1/namespaces/ns1/pods/t1-1/portforward",
        403,
        FakeApiServer.status(403, "Forbidden", "no"));
    assertThat(run("console", "t1")).isEqualTo(1);
    assertThat(api.requests)
        .contains("GET /api/v1/namespaces/ns1/pods/t1-1/portforward?ports=18100");
  }

  @Test
  void getPrintsATable() {
    api.answer(
        TASKS.formatted("ns1") + "t1",
        200,
        task("ns1", "t1", "{\"phase\":\"Running\",\"attempts\":1,\"nodeName\":\"n1\"}"));
    assertThat(run("get", "t1")).isZero();
    assertThat(out())
        .startsWith("NAME   PHASE     REASON   EXIT   ATTEMPTS   NODE   AGE\n")
        .contains("t1     Running   " + " ".repeat(9 + 7) + "1          n1     ");
  }
}
