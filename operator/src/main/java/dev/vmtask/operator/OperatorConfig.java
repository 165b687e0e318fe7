package dev.vmtask.operator;

import com.fasterxml.jackson.core.type.TypeReference;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The operator's settings, read from the environment (the Helm chart sets them). Each is described
 * in docs/operator.md; a malformed value stops startup with a message naming the variable.
 */
public record OperatorConfig(
    String agentImage,
    String agentImagePullPolicy,
    int nodeMaxCpus,
    int nodeMaxMemoryMiB,
    int memoryOverheadMiB,
    int defaultMemoryMiB,
    long podDeadlineAllowanceSeconds,
    long missingInputGraceSeconds,
    Map<String, String> vmNodeSelector,
    List<Toleration> vmTolerations,
    boolean vmNodesHaveKvm,
    Set<String> watchNamespaces,
    boolean leaderElection,
    String podNamespace,
    int healthPort,
    int reconciliationThreads,
    String logLevel) {

  public OperatorConfig {
    vmNodeSelector = Map.copyOf(vmNodeSelector);
    vmTolerations = List.copyOf(vmTolerations);
    watchNamespaces = Set.copyOf(watchNamespaces);
  }

  /** The defaults, as with an empty environment. */
  public static OperatorConfig defaults() {
    return fromEnv(Map.of());
  }

  public static OperatorConfig fromEnv(Map<String, String> env) {
    Reader r = new Reader(env);
    return new OperatorConfig(
        r.string("VMTASK_AGENT_IMAGE", "vmtask.dev/vmtask-agent:0.1.0"),
        r.oneOf(
            "VMTASK_AGENT_IMAGE_PULL_POLICY", "IfNotPresent", "Always", "IfNotPresent", "Never"),
        (int) r.number("VMTASK_NODE_MAX_CPUS", 64, 1, 1024),
        (int) r.number("VMTASK_NODE_MAX_MEMORY_MIB", 262144, 64, 16 * 1024 * 1024),
        (int) r.number("VMTASK_MEMORY_OVERHEAD_MIB", 384, 0, 65536),
        (int) r.number("VMTASK_DEFAULT_MEMORY_MIB", 1024, 64, 262144),
        r.number("VMTASK_POD_DEADLINE_ALLOWANCE_SECONDS", 1800, 60, 86400),
        r.number("VMTASK_MISSING_INPUT_GRACE_SECONDS", 120, 0, 86400),
        r.json("VMTASK_VM_NODE_SELECTOR", new TypeReference<Map<String, String>>() {}, Map.of()),
        r.json("VMTASK_VM_TOLERATIONS", new TypeReference<List<Toleration>>() {}, List.of()),
        r.bool("VMTASK_VM_NODES_HAVE_KVM", true),
        r.list("VMTASK_WATCH_NAMESPACES"),
        r.bool("VMTASK_LEADER_ELECTION", false),
        r.string("POD_NAMESPACE", "vmtask-system"),
        (int) r.number("VMTASK_HEALTH_PORT", 8080, 0, 65535),
        (int) r.number("VMTASK_RECONCILIATION_THREADS", 20, 1, 500),
        r.level("VMTASK_LOG_LEVEL", "info", "trace", "debug", "info", "warn", "error"));
  }

  /** Parses one variable at a time so that every error names it. */
  private record Reader(Map<String, String> env) {
    private static final KubernetesSerialization JSON = new KubernetesSerialization();

    String string(String name, String fallback) {
      String v = env.get(name);
      return v == null || v.isBlank() ? fallback : v.trim();
    }

    String lowerCase(String name, String fallback) {
      return string(name, fallback).toLowerCase(java.util.Locale.ROOT);
    }

    String oneOf(String name, String fallback, String... allowed) {
      String v = string(name, fallback);
      if (!Arrays.asList(allowed).contains(v)) {
        throw bad(name, v, "one of " + String.join(", ", allowed));
      }
      return v;
    }

    long number(String name, long fallback, long min, long max) {
      String v = string(name, null);
      if (v == null) {
        return fallback;
      }
      long n;
      try {
        n = Long.parseLong(v);
      } catch (NumberFormatException e) {
        throw bad(name, v, "an integer");
      }
      if (n < min || n > max) {
        throw bad(name, v, "between " + min + " and " + max);
      }
      return n;
    }

    String level(String name, String fallback, String... allowed) {
      String v = lowerCase(name, fallback);
      if (!Arrays.asList(allowed).contains(v)) {
        throw bad(name, v, "one of " + String.join(", ", allowed));
      }
      return v;
    }

    boolean bool(String name, boolean fallback) {
      return Boolean.parseBoolean(oneOf(name, Boolean.toString(fallback), "true", "false"));
    }

    Set<String> list(String name) {
      return Arrays.stream(string(name, "").split(","))
          .map(String::trim)
          .filter(s -> !s.isEmpty())
          .collect(Collectors.toSet());
    }

    <T> T json(String name, TypeReference<T> type, T fallback) {
      return parse(
          name,
          v -> JSON.unmarshal(new ByteArrayInputStream(v.getBytes(StandardCharsets.UTF_8)), type),
          fallback);
    }

    private <T> T parse(String name, Function<String, T> parser, T fallback) {
      String v = string(name, null);
      if (v == null) {
        return fallback;
      }
      try {
        T parsed = parser.apply(v);
        return parsed == null ? fallback : parsed;
      } catch (RuntimeException e) {
        throw bad(name, v, "JSON of the documented shape (" + e.getMessage() + ")");
      }
    }

    private static IllegalArgumentException bad(String name, String value, String expected) {
      return new IllegalArgumentException(name + "=" + value + " is invalid: expected " + expected);
    }
  }
}
