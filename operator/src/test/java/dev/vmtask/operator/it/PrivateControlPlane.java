package dev.vmtask.operator.it;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * etcd and kube-apiserver of the testbed's Kubernetes build, on free ports, for this JVM only.
 *
 * <p>Why not the shared testbed cluster: it may run an installed operator (the chart's end-to-end
 * tests) reconciling every namespace, and these tests play kubelet for pods that only the operator
 * under test may make. No scheduler and no kubelet run here; the tests bind pods and write their
 * status. The binaries come from {@code VMTASK_TESTBED_BIN} or the testbed's cache ({@code
 * testbed/build.sh}).
 */
public final class PrivateControlPlane implements AutoCloseable {
  private static final String TOKEN = "vmtask-it-admin";
  private static PrivateControlPlane shared;

  private final List<Process> processes = new ArrayList<>();
  private final Path dir;
  private KubernetesClient client;

  private PrivateControlPlane(Path dir) {
    this.dir = dir;
  }

  /** One control plane per JVM, stopped when the JVM exits. */
  public static synchronized KubernetesClient client() {
    if (shared == null) {
      shared = start();
      Runtime.getRuntime().addShutdownHook(new Thread(shared::close));
    }
    return shared.client;
  }

  public static PrivateControlPlane start() {
    try {
      PrivateControlPlane cp = new PrivateControlPlane(Files.createTempDirectory("vmtask-cp-"));
      cp.launch();
      return cp;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public KubernetesClient kubernetesClient() {
    return client;
  }

  /** A kubeconfig for another process (token, server certificate not verified). */
  public Path writeKubeconfig(Path file) throws IOException {
    Files.writeString(
        file,
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: it
          cluster: {server: "%s", insecure-skip-tls-verify: true}
        users:
        - name: it
          user: {token: "%s"}
        contexts:
        - name: it
          context: {cluster: it, user: it}
        current-context: it
        """
            .formatted(client.getConfiguration().getMasterUrl(), TOKEN));
    return file;
  }

  private void launch() throws IOException {
    Path bin = binaries();
    int etcdPort = freePort();
    int peerPort = freePort();
    int apiPort = freePort();
    String etcd = "http://127.0.0.1:" + etcdPort;
    spawn(
        "etcd",
        bin.resolve("etcd").toString(),
        "--data-dir",
        dir.resolve("etcd").toString(),
        "--listen-client-urls",
        etcd,
        "--advertise-client-urls",
        etcd,
        "--listen-peer-urls",
        "http://127.0.0.1:" + peerPort,
        "--initial-advertise-peer-urls",
        "http://127.0.0.1:" + peerPort,
        "--initial-cluster",
        "default=http://127.0.0.1:" + peerPort,
        "--unsafe-no-fsync");
    Path key = serviceAccountKey();
    Files.writeString(dir.resolve("tokens.csv"), TOKEN + ",vmtask-it,vmtask-it,system:masters\n");
    spawn(
        "kube-apiserver",
        bin.resolve("kube-apiserver").toString(),
        "--etcd-servers=" + etcd,
        "--bind-address=127.0.0.1",
        "--secure-port=" + apiPort,
        "--cert-dir=" + dir.resolve("certs"),
        "--token-auth-file=" + dir.resolve("tokens.csv"),
        "--service-account-issuer=https://kubernetes.default.svc",
        "--service-account-key-file=" + key,
        "--service-account-signing-key-file=" + key,
        "--authorization-mode=RBAC",
        "--anonymous-auth=false",
        "--disable-admission-plugins=ServiceAccount",
        "--service-cluster-ip-range=10.250.0.0/24",
        "--profiling=false",
        "--v=0");
    client =
        new KubernetesClientBuilder()
            .withConfig(
                new ConfigBuilder()
                    .withMasterUrl("https://127.0.0.1:" + apiPort)
                    .withOauthToken(TOKEN)
                    .withTrustCerts(true)
                    .withRequestTimeout(30_000)
                    .build())
            .build();
    waitReady();
  }

  private void waitReady() {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
    while (Instant.now().isBefore(deadline)) {
      for (Process p : processes) {
        if (!p.isAlive()) {
          throw new IllegalStateException("control plane process exited; see " + dir + "/*.log");
        }
      }
      try {
        String ready = client.raw("/readyz");
        if ("ok".equals(ready) && client.namespaces().withName("default").get() != null) {
          return;
        }
      } catch (RuntimeException e) {
        // not up yet
      }
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new IllegalStateException("kube-apiserver not ready in 120 s; see " + dir + "/*.log");
  }

  private Path serviceAccountKey() throws IOException {
    try {
      var gen = KeyPairGenerator.getInstance("RSA");
      gen.initialize(2048);
      var pair = gen.generateKeyPair();
      String pem =
          "-----BEGIN PRIVATE KEY-----\n"
              + Base64.getMimeEncoder(64, "\n".getBytes())
                  .encodeToString(pair.getPrivate().getEncoded())
              + "\n-----END PRIVATE KEY-----\n";
      Path key = dir.resolve("sa.key");
      Files.writeString(key, pem);
      return key;
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private void spawn(String name, String... command) throws IOException {
    Path log = dir.resolve(name + ".log");
    processes.add(
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start());
  }

  private static Path binaries() {
    String env = System.getenv("VMTASK_TESTBED_BIN");
    Path bin =
        env != null && !env.isBlank()
            ? Path.of(env)
            : Path.of(System.getProperty("user.home"), ".cache/vmtask/testbed/1.35.4");
    if (!Files.isExecutable(bin.resolve("kube-apiserver"))
        || !Files.isExecutable(bin.resolve("etcd"))) {
      throw new IllegalStateException(
          "no kube-apiserver/etcd in " + bin + "; run testbed/build.sh or set VMTASK_TESTBED_BIN");
    }
    return bin;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() {
    if (client != null) {
      client.close();
    }
    for (int i = processes.size() - 1; i >= 0; i--) {
      Process p = processes.get(i);
      p.destroy();
      try {
        if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort: a temp directory
    }
  }
}
