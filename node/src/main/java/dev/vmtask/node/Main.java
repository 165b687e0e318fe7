package dev.vmtask.node;

import dev.vmtask.agent.image.ImageCache;
import dev.vmtask.agent.image.IntakeLimits;
import dev.vmtask.agent.image.RetryPolicy;
import dev.vmtask.api.node.KvmNodeStatus;
import dev.vmtask.node.csi.CsiIdentityService;
import dev.vmtask.node.csi.CsiNodeService;
import dev.vmtask.node.csi.CsiPluginServer;
import dev.vmtask.node.deviceplugin.DevicePluginServer;
import dev.vmtask.node.deviceplugin.KvmDevicePlugin;
import dev.vmtask.node.image.ImageVolumeService;
import dev.vmtask.node.kvm.KvmProbe;
import dev.vmtask.node.kvm.KvmVerdict;
import dev.vmtask.node.kvm.VerdictStore;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node daemon: serves the {@code images.vmtask.dev} CSI driver from the node's image cache
 * (after pinning again what pods still mount), registers the KVM device plugin with the kubelet at
 * once (offering nothing), takes or reloads the node's KVM verdict, then offers the device where
 * the verdict is usable and publishes the verdict on its Node.
 */
public final class Main {
  /**
   * How long a publish waits for its image before telling the kubelet to come back with the
   * progress, which its FailedMount event carries to the task's status: well under the kubelet's
   * two-minute limit on a CSI call, and short enough that a long download shows progress early.
   */
  private static final Duration PUBLISH_WAIT = Duration.ofSeconds(20);

  private static final String VERSION = "0.1.0";

  private Main() {}

  public static void main(String[] args) throws Exception {
    System.setProperty(
        "org.slf4j.simpleLogger.defaultLogLevel",
        System.getenv().getOrDefault("VMTASK_LOG_LEVEL", "info"));
    System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
    // Netty warns that TCP options do not apply to unix sockets, on every connection.
    System.setProperty(
        "org.slf4j.simpleLogger.log.io.grpc.netty.shaded.io.netty.bootstrap", "error");
    Logger log = LoggerFactory.getLogger(Main.class);
    NodeSettings settings;
    try {
      settings = NodeSettings.fromEnv(System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("vmtask-node: " + e.getMessage());
      System.exit(2);
      return;
    }
    ImageCache cache =
        ImageCache.open(
            settings.cacheDir(),
            settings.cacheMaxBytes(),
            settings.cacheFloorBytes(),
            IntakeLimits.DEFAULT,
            RetryPolicy.DEFAULT);
    ImageVolumeService volumes =
        ImageVolumeService.open(cache, settings.imageSharing(), PUBLISH_WAIT);
    volumes.recover();
    CsiPluginServer csi =
        new CsiPluginServer(
            settings.csiPluginDir(),
            settings.pluginRegistrationDir(),
            CsiIdentityService.DRIVER_NAME,
            new CsiIdentityService(VERSION),
            new CsiNodeService(
                settings.nodeName() == null ? "unknown" : settings.nodeName(), volumes));
    csi.start();
    log.info(
        "serving CSI driver {} on {} (cache {}, sharing {})",
        CsiIdentityService.DRIVER_NAME,
        csi.csiSocket(),
        cache.root(),
        settings.imageSharing());

    KubernetesClient client =
        settings.nodeName() == null ? null : new KubernetesClientBuilder().build();
    VerdictPublisher publisher = new VerdictPublisher(client, settings.nodeName());
    Path deviceNode = settings.stateDir().resolve("dev").resolve("kvm");
    KvmDevicePlugin plugin = new KvmDevicePlugin(settings.kvmSlots(), deviceNode);
    DevicePluginServer server =
        new DevicePluginServer(
            settings.devicePluginDir(),
            KvmNodeStatus.DEVICE_RESOURCE,
            "vmtask-kvm.sock",
            plugin,
            plugin::closeStreams);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  csi.close();
                  volumes.close();
                  server.close();
                  publisher.close();
                  stopped.countDown();
                },
                "shutdown"));
    server.start();
    publisher.probing();

    KvmVerdict verdict;
    try {
      verdict = verdict(settings, log);
      if (verdict.usable()) {
        KvmDeviceNode.create(settings.kvmDevice(), deviceNode.getParent());
      }
    } catch (Exception e) {
      // An image or node problem: exit, so that the kubelet restarts the daemon and shows it.
      log.error("cannot take the KVM verdict", e);
      publisher.publish(KvmNodeStatus.UNUSABLE, "the node daemon failed: " + e, Instant.now());
      Thread.sleep(3000); // give the publisher a moment to say so
      System.exit(1);
      return;
    }
    plugin.advertise(verdict.usable());
    publisher.publish(
        verdict.usable() ? KvmNodeStatus.USABLE : KvmNodeStatus.UNUSABLE,
        verdict.reason(),
        verdict.takenAt());
    log.info(
        "KVM {}: {}; offering {} slot(s) of {}",
        verdict.usable() ? "usable" : "unusable",
        verdict.reason(),
        verdict.usable() ? settings.kvmSlots() : 0,
        KvmNodeStatus.DEVICE_RESOURCE);
    stopped.await();
  }

  /** The stored verdict for this boot, kernel, QEMU and probe guest, or a new one. */
  private static KvmVerdict verdict(NodeSettings settings, Logger log) throws Exception {
    String key =
        VerdictStore.currentKey(
            settings.qemuBinary(), settings.probeKernel(), settings.probeInitrd());
    VerdictStore store = new VerdictStore(settings.stateDir());
    Optional<KvmVerdict> stored = store.load(key);
    KvmVerdict verdict;
    if (stored.isPresent()) {
      verdict = stored.get();
      log.info("KVM verdict of this boot, kernel and QEMU, from {}", verdict.takenAt());
    } else {
      log.info("probing KVM: booting the probe guest under KVM ({})", key);
      verdict =
          new KvmProbe(
                  settings.qemuBinary(),
                  settings.probeKernel(),
                  settings.probeInitrd(),
                  settings.kvmDevice(),
                  settings.probeTimeout())
              .run(KvmProbe.Accelerator.KVM, key);
      store.save(verdict);
    }
    if (settings.verdictOverride() != null) {
      verdict = verdict.overriddenTo("usable".equals(settings.verdictOverride()));
      log.warn(
          "KVM verdict overridden (kvm.verdictOverride, a test setting): {}", verdict.reason());
    }
    return verdict;
  }
}
