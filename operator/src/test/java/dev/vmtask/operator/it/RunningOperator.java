package dev.vmtask.operator.it;

import dev.vmtask.operator.OperatorConfig;
import dev.vmtask.operator.VmtaskOperator;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.HashMap;
import java.util.Map;

/**
 * The operator in the test JVM, watching one namespace, its agent pods pinned (by node selector) to
 * a label no real node has, so the scheduler leaves them to the test's fake kubelet.
 */
public final class RunningOperator implements AutoCloseable {
  public static final String NODE_LABEL = "vmtask.dev/it-node";
  private final Operator operator;

  private RunningOperator(Operator operator) {
    this.operator = operator;
  }

  static RunningOperator start(
      KubernetesClient client,
      String namespace,
      String nodeLabelValue,
      Map<String, String> extraEnv) {
    Map<String, String> env = new HashMap<>();
    env.put("VMTASK_WATCH_NAMESPACES", namespace);
    env.put("VMTASK_VM_NODE_SELECTOR", "{\"" + NODE_LABEL + "\":\"" + nodeLabelValue + "\"}");
    env.put("VMTASK_NODE_MAX_CPUS", "8");
    env.putAll(extraEnv);
    Operator operator =
        VmtaskOperator.create(
            OperatorConfig.fromEnv(env), client, new SimpleMeterRegistry(), "it-" + namespace);
    operator.start();
    return new RunningOperator(operator);
  }

  @Override
  public void close() {
    operator.stop();
  }
}
