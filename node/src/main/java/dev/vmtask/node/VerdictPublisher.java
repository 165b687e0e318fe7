package dev.vmtask.node;

import dev.vmtask.api.node.KvmNodeStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the KVM verdict on the daemon's own Node: a label for selection and {@code kubectl get
 * nodes -L vmtask.dev/kvm}, and annotations with the reason and time for {@code kubectl describe
 * node}. The operator reads them to say why a task cannot have KVM. This is the daemon's only use
 * of the Kubernetes API: a merge patch of its node's metadata (RBAC: patch on nodes).
 */
public final class VerdictPublisher {
  private static final Logger LOG = LoggerFactory.getLogger(VerdictPublisher.class);
  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  /** Annotation values are kept to one readable line. */
  static final int MAX_REASON = 1024;

  private final KubernetesClient client;
  private final String nodeName;

  public VerdictPublisher(KubernetesClient client, String nodeName) {
    this.client = client;
    this.nodeName = nodeName;
  }

  /** Before the verdict is known: tasks that need it wait rather than fail. */
  public void probing() {
    patch(KvmNodeStatus.PROBING, "the node daemon is probing KVM", Instant.now());
  }

  public void publish(String verdict, String reason, Instant when) {
    patch(verdict, reason, when);
  }

  /** The merge patch for one verdict, public for tests. */
  static String patchBody(String verdict, String reason, Instant when) {
    String line = reason == null ? "" : reason.replaceAll("\\s+", " ").strip();
    if (line.length() > MAX_REASON) {
      line = line.substring(0, MAX_REASON) + "...";
    }
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put(KvmNodeStatus.REASON_ANNOTATION, line);
    annotations.put(KvmNodeStatus.TIME_ANNOTATION, when.toString());
    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put("labels", Map.of(KvmNodeStatus.VERDICT_LABEL, verdict));
    metadata.put("annotations", annotations);
    return JSON.asJson(Map.of("metadata", metadata));
  }

  private void patch(String verdict, String reason, Instant when) {
    String body = patchBody(verdict, reason, when);
    if (client == null) {
      LOG.info(
          "no Kubernetes API (NODE_NAME unset): verdict {} ({}) is not published", verdict, reason);
      return;
    }
    client.nodes().withName(nodeName).patch(PatchContext.of(PatchType.JSON_MERGE), body);
    LOG.info("node {}: {}={} ({})", nodeName, KvmNodeStatus.VERDICT_LABEL, verdict, reason);
  }
}
