package dev.vmtask.node;

import dev.vmtask.api.node.KvmNodeStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the KVM verdict on the daemon's own Node: a label for selection and {@code kubectl get
 * nodes -L vmtask.dev/kvm}, and annotations with the reason and time for {@code kubectl describe
 * node}. The operator reads them to say why a task cannot have KVM. This is the daemon's only use
 * of the Kubernetes API: a merge patch of its node's metadata (RBAC: patch on nodes).
 */
public final class VerdictPublisher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(VerdictPublisher.class);
  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  /** Annotation values are kept to one readable line. */
  static final int MAX_REASON = 1024;

  static final Duration FIRST_RETRY = Duration.ofSeconds(2);
  static final Duration MAX_RETRY = Duration.ofMinutes(1);

  private final KubernetesClient client;
  private final String nodeName;
  private final ScheduledExecutorService sender =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "verdict-publisher");
            t.setDaemon(true);
            return t;
          });

  /** The newest patch not yet accepted; a newer verdict replaces an older one still retrying. */
  private final AtomicReference<String> pending = new AtomicReference<>();

  private Duration retry = FIRST_RETRY;

  public VerdictPublisher(KubernetesClient client, String nodeName) {
    this.client = client;
    this.nodeName = nodeName;
  }

  /** Before the verdict is known: tasks that need it wait rather than fail. */
  public void probing() {
    publish(KvmNodeStatus.PROBING, "the node daemon is probing KVM", Instant.now());
  }

  /** Sends in the background and retries with backoff until the API server takes it. */
  public void publish(String verdict, String reason, Instant when) {
    String body = patchBody(verdict, reason, when);
    if (client == null) {
      LOG.info("no Kubernetes API (NODE_NAME unset): {} ({}) is not published", verdict, reason);
      return;
    }
    pending.set(body);
    sender.execute(this::send);
  }

  /** The merge patch for one verdict. */
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

  private void send() {
    String body = pending.get();
    if (body == null) {
      return;
    }
    try {
      patch(body);
      pending.compareAndSet(body, null);
      retry = FIRST_RETRY;
      LOG.info("node {}: {}", nodeName, body);
    } catch (IOException | RuntimeException e) {
      LOG.warn(
          "node {}: publishing the KVM verdict failed, again in {} s: {}",
          nodeName,
          retry.toSeconds(),
          e.getMessage());
      sender.schedule(this::send, retry.toMillis(), TimeUnit.MILLISECONDS);
      retry = retry.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : retry.multipliedBy(2);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * A bare PATCH: the client's resource DSL reads the object first, which would need {@code get} on
   * nodes too.
   */
  private void patch(String body) throws IOException, InterruptedException {
    HttpClient http = client.getHttpClient();
    String url =
        client.getMasterUrl().toString().replaceAll("/+$", "")
            + "/api/v1/nodes/"
            + URLEncoder.encode(nodeName, StandardCharsets.UTF_8);
    HttpRequest request =
        http.newHttpRequestBuilder()
            .uri(url)
            .method("PATCH", "application/merge-patch+json", body)
            .build();
    HttpResponse<String> response;
    try {
      response = http.sendAsync(request, String.class).get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("PATCH " + url + ": " + e.getMessage(), e);
    }
    if (!response.isSuccessful()) {
      throw new IOException("PATCH " + url + ": HTTP " + response.code() + " " + response.body());
    }
  }

  @Override
  public void close() {
    sender.shutdownNow();
  }
}
