package dev.vmtask.e2e;

import dev.vmtask.testbed.TestbedCluster;
import dev.vmtask.testbed.TestbedScripts;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * What every end-to-end test shares, set up once per JVM: the chart installed on the full testbed,
 * the test guest image and the HTTP server that gives it to the node.
 */
final class E2eEnvironment {
  /** The usual namespace: a release left there (by scripts/quickstart.sh) is replaced. */
  static final String RELEASE_NAMESPACE = "vmtask-system";

  static final String GUEST_FILE = "guest.tar.zst";

  private static E2eEnvironment instance;
  private static RuntimeException failure;

  private final KubernetesClient client;
  private final Node node;
  private final GuestImage guest;
  private final ImageServer images;
  private final ChartRelease release;

  private E2eEnvironment(
      KubernetesClient client,
      Node node,
      GuestImage guest,
      ImageServer images,
      ChartRelease release) {
    this.client = client;
    this.node = node;
    this.guest = guest;
    this.images = images;
    this.release = release;
  }

  static synchronized E2eEnvironment get(KubernetesClient client) {
    if (failure != null) {
      throw new IllegalStateException("the end-to-end environment could not be set up", failure);
    }
    if (instance == null) {
      try {
        instance = create(client);
      } catch (RuntimeException e) {
        failure = e;
        throw e;
      }
    }
    return instance;
  }

  private static E2eEnvironment create(KubernetesClient client) {
    Node node =
        client.nodes().list().getItems().stream()
            .findFirst()
            .orElseThrow(
                () -> new IllegalStateException("the cluster has no node; start the full testbed"));
    GuestImage guest = GuestImage.build();
    ImageServer images = ImageServer.start(internalIp(node));
    images.serve(GUEST_FILE, guest.archive());
    applyCrds(client);
    ChartRelease release =
        ChartRelease.install(client, kubeconfig(), RELEASE_NAMESPACE, chartValues());
    return new E2eEnvironment(client, node, guest, images, release);
  }

  /**
   * Two replicas, as in production: every end-to-end test runs under leader election. The testbed's
   * kubelet keeps its state under its own root directory.
   */
  static Map<String, Object> chartValues() {
    return Map.of(
        "logLevel",
        "debug",
        "replicaCount",
        2,
        // A missing Secret or claim fails a task after this (120 s by default).
        "agent.missingInputGraceSeconds",
        20,
        "nodeDaemon.kubeletRootDir",
        TestbedCluster.isExternal()
            ? "/var/lib/kubelet"
            : TestbedScripts.locate().kubeletDir().toString());
  }

  /** The CRDs of this tree, also when an older version is installed (Helm never upgrades CRDs). */
  private static void applyCrds(KubernetesClient client) {
    try (DirectoryStream<Path> files =
        Files.newDirectoryStream(RepoRoot.get().resolve("crds"), "*.yml")) {
      for (Path file : files) {
        try (InputStream in = Files.newInputStream(file)) {
          client.load(in).forceConflicts().serverSideApply();
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read crds/", e);
    }
  }

  static Path kubeconfig() {
    return TestbedCluster.isExternal()
        ? Path.of(System.getenv("KUBECONFIG"))
        : TestbedScripts.locate().kubeconfig();
  }

  private static String internalIp(Node node) {
    return node.getStatus().getAddresses().stream()
        .filter(a -> a.getType().equals("InternalIP"))
        .map(NodeAddress::getAddress)
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "node " + node.getMetadata().getName() + " has no InternalIP"));
  }

  KubernetesClient client() {
    return client;
  }

  String nodeName() {
    return node.getMetadata().getName();
  }

  GuestImage guest() {
    return guest;
  }

  ImageServer images() {
    return images;
  }

  ChartRelease release() {
    return release;
  }

  /** The URL of the test guest on the image server. */
  String guestUrl() {
    return images.url(GUEST_FILE);
  }

  /** True when this JVM runs on the cluster's node, so its processes and files can be checked. */
  boolean onTheNode() {
    return !TestbedCluster.isExternal();
  }
}
