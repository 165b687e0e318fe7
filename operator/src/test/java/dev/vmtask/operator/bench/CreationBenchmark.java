package dev.vmtask.operator.bench;

import dev.vmtask.api.image.ImagePhase;
import dev.vmtask.api.image.VMImage;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.operator.Fixtures;
import dev.vmtask.operator.OperatorConfig;
import dev.vmtask.operator.it.FakeKubelet;
import dev.vmtask.operator.it.ItCluster;
import dev.vmtask.operator.it.PrivateControlPlane;
import dev.vmtask.operator.it.RunningOperator;
import dev.vmtask.operator.pod.TaskPodFactory;
import dev.vmtask.testbed.Crds;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Creates N tasks on a private kube-apiserver (the testbed's build) and reports tasks/s until all N
 * pods exist, against a baseline of N pods created directly by the same client; and the operator's
 * RSS, the operator running as its own JVM from the shaded jar with the chart's flags.
 */
public final class CreationBenchmark {
  private static final int CLIENT_THREADS = 8;

  /** The flags the operator image starts its JVM with (images/operator/Containerfile). */
  static final String CHART_JVM_FLAGS =
      "-XX:+UseSerialGC -Xmx128m -XX:MaxMetaspaceSize=96m -XX:ReservedCodeCacheSize=48m"
          + " -XX:TieredStopAtLevel=1 -Xss512k -XX:-UsePerfData -XX:+ExitOnOutOfMemoryError";

  public static void main(String[] args) {
    try {
      run();
      System.exit(0);
    } catch (Exception e) {
      e.printStackTrace();
      System.exit(1);
    }
  }

  private static void run() throws Exception {
    int n = Integer.parseInt(System.getProperty("bench.tasks", "1000"));
    Path jar = Path.of(System.getProperty("bench.jar", "target/vmtask-operator.jar"));
    String fromEnv = System.getenv("JVM_FLAGS");
    String jvmFlags = fromEnv == null || fromEnv.isBlank() ? CHART_JVM_FLAGS : fromEnv;
    Map<String, String> extraEnv =
        Map.of("VMTASK_RECONCILIATION_THREADS", System.getProperty("threads", "20"));
    try (PrivateControlPlane cp = PrivateControlPlane.start()) {
      KubernetesClient client = cp.kubernetesClient();
      Crds.install(client, Path.of("../crds"));
      String label = "bench";
      String node = ItCluster.createNode(client, label);
      String pod = "{\"" + RunningOperator.NODE_LABEL + "\":\"" + label + "\"}";

      // Baseline: the same client creates N task-shaped pods itself.
      String baseNs = namespace(client, "baseline");
      TaskPodFactory factory = new TaskPodFactory(OperatorConfig.defaults());
      VMImage image = Fixtures.readyImage(baseNs, "img");
      double baseline =
          rate(
              n,
              i -> {
                VirtualMachineTask t = Fixtures.task(baseNs, "t" + i, "img");
                Pod p =
                    factory.create(
                        t,
                        image,
                        dev.vmtask.operator.pod.ResolvedMachine.resolve(
                            null, null, OperatorConfig.defaults()),
                        1,
                        new dev.vmtask.operator.pod.AccelerationPlan(
                            dev.vmtask.operator.pod.AccelerationPlan.Kind.TCG, "tcg"));
                p.getMetadata().setOwnerReferences(List.of());
                client.resource(p).create();
              });
      System.out.printf(
          "baseline: %d pods created directly in %.1f s: %.1f pods/s%n", n, n / baseline, baseline);

      Path dir = Files.createTempDirectory("vmtask-bench-");
      Path kubeconfig = cp.writeKubeconfig(dir.resolve("kubeconfig"));
      String ns = namespace(client, "tasks");
      int port = freePort();
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.addAll(List.of(jvmFlags.trim().split("\\s+")));
      cmd.addAll(List.of("-jar", jar.toAbsolutePath().toString()));
      ProcessBuilder pb =
          new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("operator.log").toFile());
      pb.environment().put("KUBECONFIG", kubeconfig.toString());
      pb.environment().put("VMTASK_HEALTH_PORT", Integer.toString(port));
      pb.environment().put("VMTASK_VM_NODE_SELECTOR", pod);
      pb.environment().put("VMTASK_WATCH_NAMESPACES", ns);
      pb.environment().putAll(extraEnv);
      Process operator = pb.start();
      try {
        awaitReady(port, operator);
        long idle = rssKiB(operator.pid(), "VmRSS");
        client.resource(withoutIds(Fixtures.image(ns, "img"))).create();
        FakeKubelet kubelet = new FakeKubelet(client, ns, node);
        awaitPod(client, ns, "img-fetch-g1");
        kubelet.bind("img-fetch-g1");
        kubelet.terminated(
            "img-fetch-g1", 0, "Completed", FakeKubelet.report(0, "Completed", "fetched"));
        while (client.resources(VMImage.class).inNamespace(ns).withName("img").get().getStatus()
                == null
            || client
                    .resources(VMImage.class)
                    .inNamespace(ns)
                    .withName("img")
                    .get()
                    .getStatus()
                    .getPhase()
                != ImagePhase.Ready) {
          Thread.sleep(100);
        }

        CountDownLatch allPods = new CountDownLatch(n);
        var informer =
            client
                .pods()
                .inNamespace(ns)
                .withLabel("vmtask.dev/role", "task")
                .inform(
                    new ResourceEventHandler<>() {
                      @Override
                      public void onAdd(Pod p) {
                        allPods.countDown();
                      }

                      @Override
                      public void onUpdate(Pod o, Pod p) {}

                      @Override
                      public void onDelete(Pod p, boolean unknown) {}
                    });
        AtomicLong peakRss = new AtomicLong();
        var sampler = Executors.newSingleThreadScheduledExecutor();
        sampler.scheduleAtFixedRate(
            () -> peakRss.accumulateAndGet(rssKiB(operator.pid(), "VmRSS"), Math::max),
            0,
            200,
            TimeUnit.MILLISECONDS);
        long start = System.nanoTime();
        double createRate =
            rate(n, i -> client.resource(withoutIds(Fixtures.task(ns, "t" + i, "img"))).create());
        if (!allPods.await(10, TimeUnit.MINUTES)) {
          throw new IllegalStateException("only " + (n - allPods.getCount()) + " pods in 10 min");
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long statuses = awaitStatuses(client, ns, n);
        double statusSeconds = (System.nanoTime() - start) / 1e9;
        sampler.shutdownNow();
        informer.close();
        double tasksPerSecond = n / seconds;
        System.out.printf("tasks created by the client at %.1f tasks/s%n", createRate);
        System.out.printf(
            "operator: %d tasks -> %d pods in %.1f s: %.1f tasks/s"
                + " (%.2f x the baseline of %.1f pods/s)%n",
            n, n, seconds, tasksPerSecond, tasksPerSecond / baseline, baseline);
        System.out.printf("all %d task statuses written after %.1f s%n", statuses, statusSeconds);
        System.out.printf(
            "operator RSS: idle %d MiB, peak sampled %d MiB, VmHWM %d MiB,"
                + " now %d MiB (flags: %s)%n",
            idle / 1024,
            peakRss.get() / 1024,
            rssKiB(operator.pid(), "VmHWM") / 1024,
            rssKiB(operator.pid(), "VmRSS") / 1024,
            jvmFlags);
      } finally {
        operator.destroy();
        operator.waitFor(20, TimeUnit.SECONDS);
        System.out.println("operator log: " + dir.resolve("operator.log"));
      }
    }
  }

  interface Step {
    void run(int i) throws Exception;
  }

  /** Runs {@code step} for 0..n-1 on the client threads; returns steps per second. */
  private static double rate(int n, Step step) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(CLIENT_THREADS);
    long start = System.nanoTime();
    List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int k = i;
      futures.add(
          pool.submit(
              () -> {
                step.run(k);
                return null;
              }));
    }
    for (var f : futures) {
      f.get();
    }
    pool.shutdown();
    return n / ((System.nanoTime() - start) / 1e9);
  }

  private static long awaitStatuses(KubernetesClient client, String ns, int n)
      throws InterruptedException {
    for (int i = 0; i < 600; i++) {
      long done =
          client.resources(VirtualMachineTask.class).inNamespace(ns).list().getItems().stream()
              .filter(t -> t.getStatus() != null && t.getStatus().getPodName() != null)
              .count();
      if (done == n) {
        return done;
      }
      Thread.sleep(500);
    }
    throw new IllegalStateException("task statuses not all written");
  }

  private static <T extends io.fabric8.kubernetes.api.model.HasMetadata> T withoutIds(T r) {
    r.getMetadata().setUid(null);
    r.getMetadata().setGeneration(null);
    return r;
  }

  private static void awaitPod(KubernetesClient client, String ns, String name)
      throws InterruptedException {
    while (client.pods().inNamespace(ns).withName(name).get() == null) {
      Thread.sleep(100);
    }
  }

  private static void awaitReady(int port, Process operator) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      if (!operator.isAlive()) {
        throw new IllegalStateException("operator exited with " + operator.exitValue());
      }
      try {
        var r =
            http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("operator not ready in 120 s");
  }

  private static String namespace(KubernetesClient client, String name) {
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .create();
    return name;
  }

  private static long rssKiB(long pid, String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith(field + ":")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException e) {
      return 0;
    }
    return 0;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
