package dev.vmtask.cli;

import io.fabric8.kubernetes.api.model.NamedContext;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.internal.KubeConfigUtils;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The API server to talk to and the namespace to work in, chosen as kubectl does: {@code
 * --kubeconfig}, else the files in {@code KUBECONFIG}, else {@code ~/.kube/config} (in a pod
 * without any: its service account); {@code --context} or the current one; {@code -n}, else the
 * context's namespace, else {@code default}.
 */
final class Cluster implements AutoCloseable {
  private final KubernetesClient client;
  private final String namespace;

  Cluster(KubernetesClient client, String namespace) {
    this.client = client;
    this.namespace = namespace;
  }

  /**
   * Connects as {@code args} and {@code env} say. The environment is passed in rather than read, so
   * that the plugin can run inside another process (tests) with a kubeconfig of its own.
   */
  static Cluster connect(CliArgs args, Map<String, String> env) {
    Config config = config(args.context(), kubeconfigFiles(args.kubeconfig(), env));
    String namespace = args.namespace();
    if (namespace == null || namespace.isEmpty()) {
      namespace = config.getNamespace();
    }
    if (namespace == null || namespace.isEmpty()) {
      namespace = "default";
    }
    // The client's default, ten retries with backoff, keeps a user waiting 20s for "connection
    // refused"; a command line is better served by failing soon.
    config.setRequestRetryBackoffLimit(2);
    return new Cluster(new KubernetesClientBuilder().withConfig(config).build(), namespace);
  }

  static List<File> kubeconfigFiles(String flag, Map<String, String> env) {
    if (flag != null) {
      File f = new File(flag);
      if (!f.isFile()) {
        throw new CliException("kubeconfig " + flag + " does not exist");
      }
      return List.of(f);
    }
    List<File> files = new ArrayList<>();
    String list = env.get("KUBECONFIG");
    if (list != null && !list.isBlank()) {
      for (String path : list.split(File.pathSeparator)) {
        if (!path.isEmpty() && new File(path).isFile()) {
          files.add(new File(path));
        }
      }
      if (files.isEmpty()) {
        throw new CliException("no file of KUBECONFIG=" + list + " exists");
      }
      return files;
    }
    String home = env.getOrDefault("HOME", System.getProperty("user.home"));
    File standard = Path.of(home, ".kube", "config").toFile();
    return standard.isFile() ? List.of(standard) : List.of();
  }

  private static Config config(String context, List<File> files) {
    if (files.isEmpty()) {
      // In a pod: the service account. Elsewhere this ends at localhost, and the first request
      // says that it cannot connect.
      return Config.autoConfigure(context);
    }
    Config config = Config.empty();
    // What Config.fromKubeconfig does for one file, for every file of KUBECONFIG (first wins).
    KubeConfigUtils.merge(
        config,
        context,
        files.stream()
            .map(KubeConfigUtils::parseConfig)
            .toArray(io.fabric8.kubernetes.api.model.Config[]::new));
    if (context != null
        && config.getContexts().stream().map(NamedContext::getName).noneMatch(context::equals)) {
      throw new CliException("context \"" + context + "\" does not exist in the kubeconfig");
    }
    if (config.getCurrentContext() == null) {
      throw new CliException("the kubeconfig names no current context; pass --context");
    }
    return config;
  }

  KubernetesClient client() {
    return client;
  }

  String namespace() {
    return namespace;
  }

  @Override
  public void close() {
    client.close();
  }
}
