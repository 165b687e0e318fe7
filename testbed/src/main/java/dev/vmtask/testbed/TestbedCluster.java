package dev.vmtask.testbed;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The cluster of this JVM's tests: started at most once (and upgraded from control plane to full
 * when a later test class needs a node), never stopped here; CI's scripts stop it.
 */
public final class TestbedCluster {
  private static final int REACHABILITY_TIMEOUT_MILLIS = 10_000;

  private static KubernetesClient client;
  private static boolean external;
  private static Mode started;

  private TestbedCluster() {}

  /** An admin client for a cluster offering at least {@code mode}. */
  public static synchronized KubernetesClient client(Mode mode) {
    if (client == null) {
      TestbedScripts scripts = TestbedScripts.locate();
      Path ours = scripts.kubeconfig();
      client = existingCluster(ours).orElse(null);
      external = client != null;
      if (external) {
        System.err.println("testbed: using existing cluster (KUBECONFIG=" + kubeconfigEnv() + ")");
      }
    }
    if (!external && (started == null || started.compareTo(mode) < 0)) {
      TestbedScripts scripts = TestbedScripts.locate();
      System.err.print(scripts.up(mode));
      started = mode;
      if (client == null) {
        client = connect(scripts.kubeconfig());
      }
    }
    return client;
  }

  /** True when the tests run on a cluster named by {@code KUBECONFIG} rather than the testbed. */
  public static synchronized boolean isExternal() {
    return external;
  }

  private static String kubeconfigEnv() {
    return System.getenv("KUBECONFIG");
  }

  /** The cluster {@code KUBECONFIG} names, when it answers and is not the testbed itself. */
  private static Optional<KubernetesClient> existingCluster(Path testbedKubeconfig) {
    String env = kubeconfigEnv();
    if (env == null || env.isBlank() || Path.of(env).equals(testbedKubeconfig)) {
      return Optional.empty();
    }
    Config config = Config.autoConfigure(null);
    config.setConnectionTimeout(REACHABILITY_TIMEOUT_MILLIS);
    config.setRequestTimeout(REACHABILITY_TIMEOUT_MILLIS);
    KubernetesClient candidate = new KubernetesClientBuilder().withConfig(config).build();
    try {
      candidate.getKubernetesVersion();
      return Optional.of(candidate);
    } catch (KubernetesClientException e) {
      System.err.println(
          "testbed: KUBECONFIG=" + env + " is not reachable (" + e.getMessage() + ")");
      candidate.close();
      return Optional.empty();
    }
  }

  private static KubernetesClient connect(Path kubeconfig) {
    try {
      Config config = Config.fromKubeconfig(Files.readString(kubeconfig));
      return new KubernetesClientBuilder().withConfig(config).build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the testbed kubeconfig " + kubeconfig, e);
    }
  }
}
