package dev.vmtask.operator;

import dev.vmtask.operator.image.VMImageReconciler;
import dev.vmtask.operator.task.VirtualMachineTaskReconciler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetAddress;
import java.time.Clock;
import java.util.function.Consumer;

/** The operator process: configuration from the environment, two controllers, probes. */
public final class VmtaskOperator {
  public static final String LEASE_NAME = "vmtask-operator";

  private VmtaskOperator() {}

  public static void main(String[] args) throws Exception {
    OperatorConfig config;
    try {
      config = OperatorConfig.fromEnv(System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("vmtask-operator: " + e.getMessage());
      System.exit(2);
      return;
    }
    // slf4j-simple reads its level once, when the first logger is made.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", config.logLevel());
    System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
    System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSX");
    var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    KubernetesClient client = new KubernetesClientBuilder().build();
    String identity = InetAddress.getLocalHost().getHostName();
    var election = new LeaderElection(config.podNamespace(), identity);
    Operator operator = create(config, client, registry, identity, election);
    var health = new HealthServer(config.healthPort(), operator, registry).start();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  health.close();
                  election.shuttingDown();
                  operator.stop();
                  if (config.leaderElection()) {
                    election.release(client);
                  }
                }));
    operator.start();
  }

  /** The operator with both controllers registered, not started (tests start it themselves). */
  public static Operator create(
      OperatorConfig config, KubernetesClient client, MeterRegistry registry, String identity) {
    return create(
        config, client, registry, identity, new LeaderElection(config.podNamespace(), identity));
  }

  private static Operator create(
      OperatorConfig config,
      KubernetesClient client,
      MeterRegistry registry,
      String identity,
      LeaderElection election) {
    var events = new EventRecorder(client, identity);
    Operator operator =
        new Operator(
            o -> {
              o.withKubernetesClient(client)
                  .withConcurrentReconciliationThreads(config.reconciliationThreads())
                  .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(registry))
                  .withCloseClientOnStop(false) // the caller owns the client
                  .withStopOnInformerErrorDuringStartup(true)
                  // The chart installs the CRDs; reading them would need a cluster-wide grant.
                  .checkingCRDAndValidateLocalModel(false);
              if (config.leaderElection()) {
                o.withLeaderElectionConfiguration(election.configuration());
              }
            });
    Clock clock = Clock.systemUTC();
    operator.register(
        new VirtualMachineTaskReconciler(config, events, registry, clock), overrides(config));
    operator.register(new VMImageReconciler(config, events, clock), overrides(config));
    return operator;
  }

  /** The watched namespaces, and a primary cache without what the operator never reads. */
  private static <R extends io.fabric8.kubernetes.api.model.HasMetadata>
      Consumer<ControllerConfigurationOverrider<R>> overrides(OperatorConfig config) {
    return o -> {
      if (!config.watchNamespaces().isEmpty()) {
        o.settingNamespaces(config.watchNamespaces());
      }
      o.withItemStore(new SlimItemStore<>());
    };
  }
}
