package dev.vmtask.node;

import dev.vmtask.api.node.KvmNodeStatus;
import dev.vmtask.node.deviceplugin.DevicePluginServer;
import dev.vmtask.node.deviceplugin.KvmDevicePlugin;
import dev.vmtask.node.kvm.KvmProbe;
import dev.vmtask.node.kvm.KvmVerdict;
import dev.vmtask.node.kvm.VerdictStore;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node daemon: registers the KVM device plugin with the kubelet at once (offering nothing),
 * takes or reloads the node's KVM verdict, then offers the device where the verdict is usable and
 * publishes the verdict on its Node.
 */
public final class Main {
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
