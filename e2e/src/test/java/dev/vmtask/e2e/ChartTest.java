package dev.vmtask.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.storage.CSIDriver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Helm chart rendered offline (helm lint / helm template through helm-java). */
class ChartTest {
  private static final String RELEASE = "vmtask";
  private static final String NAMESPACE = "vmtask-system";
  private static final String KUBE_VERSION = "1.35.4";

  @Test
  void lintPassesInStrictMode() {
    LintResult result = new Helm(RepoRoot.chart()).lint().strict().call();

    assertThat(result.isFailed()).as("lint messages: %s", result.getMessages()).isFalse();
  }

  @Test
  void defaultsRenderTheOperatorTheNodeDaemonTheirAccountsAndClusterRbacOnly() {
    RenderedChart chart = render(Map.of());

    assertThat(chart.objects())
        .extracting(HasMetadata::getKind)
        .containsExactlyInAnyOrder(
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "ClusterRole",
            "ClusterRoleBinding",
            "Service",
            "Deployment",
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "DaemonSet",
            "CSIDriver",
            "ValidatingAdmissionPolicy",
            "ValidatingAdmissionPolicyBinding",
            "ValidatingAdmissionPolicy",
            "ValidatingAdmissionPolicyBinding",
            "ValidatingAdmissionPolicy",
            "ValidatingAdmissionPolicyBinding",
            "ClusterRole",
            "ClusterRole");
    assertThat(chart.objects())
        .filteredOn(
            o ->
                !o.getKind().startsWith("Cluster")
                    && !o.getKind().equals("CSIDriver")
                    && !o.getKind().startsWith("ValidatingAdmissionPolicy"))
        .allSatisfy(o -> assertThat(o.getMetadata().getNamespace()).isEqualTo(NAMESPACE));
    Deployment deployment = chart.one(Deployment.class);
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(1);
    assertThat(deployment.getSpec().getStrategy().getType()).isEqualTo("Recreate");
    assertThat(operator(deployment).getImage()).isEqualTo("vmtask.dev/vmtask-operator:0.1.0");
    assertThat(operator(deployment).getImagePullPolicy()).isEqualTo("IfNotPresent");
    assertThat(chart.one(Service.class).getSpec().getSelector())
        .isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
  }

  @Test
  void operatorPodRunsRestrictedAndIsTheOnlyOneWithAToken() {
    RenderedChart chart = render(Map.of());
    PodSpec pod = chart.one(Deployment.class).getSpec().getTemplate().getSpec();
    Container operator = operator(chart.one(Deployment.class));

    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(10001L);
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    var container = operator.getSecurityContext();
    assertThat(container.getRunAsNonRoot()).isTrue();
    assertThat(container.getRunAsUser()).isEqualTo(10001L);
    assertThat(container.getReadOnlyRootFilesystem()).isTrue();
    assertThat(container.getAllowPrivilegeEscalation()).isFalse();
    assertThat(container.getPrivileged()).isNotEqualTo(Boolean.TRUE);
    assertThat(container.getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(container.getCapabilities().getAdd()).isNullOrEmpty();
    assertThat(container.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(pod.getHostNetwork()).isNotEqualTo(Boolean.TRUE);
    assertThat(pod.getVolumes()).allSatisfy(v -> assertThat(v.getHostPath()).isNull());

    assertThat(pod.getServiceAccountName()).isEqualTo(RELEASE);
    assertThat(pod.getAutomountServiceAccountToken()).isTrue();
    assertThat(chart.all(ServiceAccount.class))
        .as("pods opt in to a token; the accounts give none by default")
        .allSatisfy(a -> assertThat(a.getAutomountServiceAccountToken()).isFalse());

    assertThat(operator.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(operator.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(operator.getResources().getLimits()).containsKey("memory");
  }

  @Test
  void usersGetTasksAndImagesThroughTheBuiltInRolesButNoPortForwardFromThem() {
    RenderedChart chart = render(Map.of());
    ClusterRole edit = chart.named(ClusterRole.class, RELEASE + "-edit");
    ClusterRole view = chart.named(ClusterRole.class, RELEASE + "-view");
    assertThat(edit.getMetadata().getLabels())
        .containsEntry("rbac.authorization.k8s.io/aggregate-to-edit", "true")
        .containsEntry("rbac.authorization.k8s.io/aggregate-to-admin", "true");
    assertThat(view.getMetadata().getLabels())
        .containsEntry("rbac.authorization.k8s.io/aggregate-to-view", "true")
        .doesNotContainKey("rbac.authorization.k8s.io/aggregate-to-edit");
    assertThat(view.getRules())
        .allSatisfy(r -> assertThat(r.getVerbs()).containsExactly("get", "list", "watch"));
    assertThat(Stream.concat(edit.getRules().stream(), view.getRules().stream()))
        .allSatisfy(r -> assertThat(r.getApiGroups()).containsExactly("vmtask.dev"));
    assertThat(render(Map.of("userRoles.aggregate", false)).all(ClusterRole.class))
        .extracting(r -> r.getMetadata().getName())
        .doesNotContain(RELEASE + "-edit", RELEASE + "-view");
  }

  @Test
  void rbacIsExactWithoutWildcardsOrSecrets() {
    RenderedChart chart = render(Map.of("replicaCount", 2));
    List<PolicyRule> rules =
        Stream.concat(
                Stream.of(RELEASE, RELEASE + "-nodes")
                    .flatMap(name -> chart.named(ClusterRole.class, name).getRules().stream()),
                chart.all(Role.class).stream().flatMap(r -> r.getRules().stream()))
            .toList();

    assertThat(rules).isNotEmpty();
    assertThat(rules)
        .allSatisfy(
            rule -> {
              assertThat(rule.getApiGroups()).doesNotContain("*");
              assertThat(rule.getResources()).isNotEmpty().noneMatch(r -> r.contains("*"));
              assertThat(rule.getVerbs())
                  .isNotEmpty()
                  .doesNotContain("*", "escalate", "bind", "impersonate", "deletecollection");
              assertThat(rule.getResources())
                  .doesNotContain("secrets", "configmaps", "serviceaccounts/token");
              assertThat(rule.getNonResourceURLs()).isNullOrEmpty();
            });
    assertThat(grants(rules, "vmtask.dev", "virtualmachinetasks"))
        .containsExactlyInAnyOrder("get", "list", "watch", "delete");
    // create and patch: a task's output.image, published by server-side apply
    assertThat(grants(rules, "vmtask.dev", "vmimages"))
        .containsExactlyInAnyOrder("get", "list", "watch", "create", "patch");
    assertThat(grants(rules, "vmtask.dev", "virtualmachinetasks/status")).containsExactly("patch");
    assertThat(grants(rules, "vmtask.dev", "vmimages/status")).containsExactly("patch");
    // blockOwnerDeletion on owned pods, under OwnerReferencesPermissionEnforcement
    assertThat(grants(rules, "vmtask.dev", "virtualmachinetasks/finalizers"))
        .containsExactly("update");
    assertThat(grants(rules, "vmtask.dev", "vmimages/finalizers")).containsExactly("update");
    assertThat(grants(rules, "", "pods"))
        .containsExactlyInAnyOrder("get", "list", "watch", "create", "delete");
    assertThat(grants(rules, "", "nodes")).containsExactlyInAnyOrder("list", "watch");
    assertThat(grants(rules, "events.k8s.io", "events")).containsExactly("create");
    assertThat(grants(rules, "", "events")).containsExactlyInAnyOrder("list", "watch");
    assertThat(chart.named(ClusterRole.class, RELEASE + "-nodes").getRules())
        .as("the only cluster-scoped grant")
        .flatExtracting(PolicyRule::getResources)
        .containsExactly("nodes");
    assertThat(grants(rules, "coordination.k8s.io", "leases"))
        .containsExactlyInAnyOrder("create", "get", "update", "patch");
    assertThat(chart.named(ClusterRole.class, RELEASE).getRules())
        .flatExtracting(PolicyRule::getResources)
        .as("leases are granted in the release namespace only")
        .doesNotContain("leases");

    ClusterRoleBinding binding = chart.named(ClusterRoleBinding.class, RELEASE);
    assertThat(binding.getRoleRef().getName()).isEqualTo(RELEASE);
    assertThat(binding.getSubjects())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getKind()).isEqualTo("ServiceAccount");
              assertThat(s.getName()).isEqualTo(RELEASE);
              assertThat(s.getNamespace()).isEqualTo(NAMESPACE);
            });
  }

  @Test
  void watchNamespacesBindTheOperatorsRulesInThoseNamespacesOnly() {
    Map<String, Object> values = new TreeMap<>();
    values.put("watchNamespaces[0]", "ci");
    values.put("watchNamespaces[1]", "builds");
    RenderedChart chart = render(values);

    assertThat(chart.all(ClusterRoleBinding.class))
        .extracting(b -> b.getRoleRef().getName())
        .as("only nodes (and the node daemon) stay cluster-wide")
        .containsExactlyInAnyOrder(RELEASE + "-nodes", RELEASE + "-node");
    assertThat(chart.all(RoleBinding.class))
        .filteredOn(b -> b.getRoleRef().getName().equals(RELEASE))
        .extracting(b -> b.getMetadata().getNamespace())
        .containsExactlyInAnyOrder("ci", "builds");
    assertThat(chart.all(RoleBinding.class))
        .filteredOn(b -> b.getRoleRef().getName().equals(RELEASE))
        .allSatisfy(
            b -> {
              assertThat(b.getRoleRef().getKind()).isEqualTo("ClusterRole");
              assertThat(b.getSubjects())
                  .singleElement()
                  .satisfies(s -> assertThat(s.getNamespace()).isEqualTo(NAMESPACE));
            });
  }

  @Test
  void agentSettingsReachTheOperatorEnvironment() throws IOException {
    Map<String, Object> values = new TreeMap<>();
    values.put("agent.image.repository", "registry.example/vmtask-agent");
    values.put("agent.image.tag", "1.2.3");
    values.put("agent.image.pullPolicy", "Always");
    values.put("agent.defaultMemoryMiB", 512);
    values.put("agent.podDeadlineAllowanceSeconds", 900);
    values.put("reconciliationThreads", 8);
    values.put("agent.node.maxCPUs", 6);
    values.put("agent.node.maxMemoryMiB", 12288);
    values.put("agent.memoryOverheadMiB", 200);
    values.put("agent.vmNodeSelector.vmtask\\.dev/vm-node", "qemu");
    values.put("agent.vmTolerations[0].key", "vmtask.dev/vm");
    values.put("agent.vmTolerations[0].operator", "Exists");
    values.put("agent.vmTolerations[0].effect", "NoSchedule");
    values.put("watchNamespaces[0]", "ci");
    values.put("watchNamespaces[1]", "builds");

    Map<String, String> env = env(render(values).one(Deployment.class));

    assertThat(env)
        .containsEntry("VMTASK_AGENT_IMAGE", "registry.example/vmtask-agent:1.2.3")
        .containsEntry("VMTASK_AGENT_IMAGE_PULL_POLICY", "Always")
        .containsEntry("VMTASK_DEFAULT_MEMORY_MIB", "512")
        .containsEntry("VMTASK_POD_DEADLINE_ALLOWANCE_SECONDS", "900")
        .containsEntry("VMTASK_RECONCILIATION_THREADS", "8")
        .containsEntry("VMTASK_NODE_MAX_CPUS", "6")
        .containsEntry("VMTASK_NODE_MAX_MEMORY_MIB", "12288")
        .containsEntry("VMTASK_MEMORY_OVERHEAD_MIB", "200")
        .containsEntry("VMTASK_WATCH_NAMESPACES", "ci,builds")
        .containsEntry("VMTASK_LEADER_ELECTION", "false");
    ObjectMapper json = new ObjectMapper();
    assertThat(
            json.readValue(
                env.get("VMTASK_VM_NODE_SELECTOR"), new TypeReference<Map<String, String>>() {}))
        .isEqualTo(Map.of("vmtask.dev/vm-node", "qemu"));
    List<Toleration> tolerations =
        json.readValue(env.get("VMTASK_VM_TOLERATIONS"), new TypeReference<List<Toleration>>() {});
    assertThat(tolerations)
        .singleElement()
        .isEqualTo(new Toleration("NoSchedule", "vmtask.dev/vm", "Exists", null, null));
  }

  @Test
  void defaultsLeaveNodeLimitsToTheAgentAndSetTheDocumentedDefaults() {
    Map<String, String> env = env(render(Map.of()).one(Deployment.class));

    assertThat(env)
        .doesNotContainKeys(
            "VMTASK_NODE_MAX_CPUS",
            "VMTASK_NODE_MAX_MEMORY_MIB",
            "VMTASK_DEFAULT_MEMORY_MIB",
            "VMTASK_POD_DEADLINE_ALLOWANCE_SECONDS",
            "VMTASK_RECONCILIATION_THREADS",
            "VMTASK_CACHE_HOST_PATH");
    assertThat(env)
        .containsEntry("VMTASK_AGENT_IMAGE", "vmtask.dev/vmtask-agent:0.1.0")
        .containsEntry("VMTASK_AGENT_IMAGE_PULL_POLICY", "IfNotPresent")
        .containsEntry("VMTASK_WATCH_NAMESPACES", "")
        .containsEntry("VMTASK_VM_NODE_SELECTOR", "{}")
        .containsEntry("VMTASK_VM_TOLERATIONS", "[]")
        .containsEntry("VMTASK_VM_NODES_HAVE_KVM", "true")
        .containsEntry("VMTASK_HEALTH_PORT", "8080")
        .containsKey("POD_NAMESPACE");
  }

  @Test
  void nodeDaemonRunsOnTheVmNodesWithThePluginDirectoriesTheCacheAndOnlyPatchOnNodes() {
    Map<String, Object> values = new TreeMap<>();
    values.put("agent.vmNodeSelector.vmtask\\.dev/vm-node", "qemu");
    values.put("agent.vmTolerations[0].key", "vmtask.dev/vm");
    values.put("agent.vmTolerations[0].operator", "Exists");
    values.put("nodeDaemon.devicePluginDir", "/run/k8s/device-plugins");
    values.put("kvm.slotsPerNode", 8);
    values.put("kvm.verdictOverride", "usable");
    values.put("nodeDaemon.kubeletRootDir", "/srv/kubelet");
    values.put("nodeDaemon.cache.hostPath", "/srv/vmtask-cache");
    values.put("nodeDaemon.cache.maxBytes", 53687091200L);
    values.put("nodeDaemon.cache.sharing", "namespace");
    RenderedChart chart = render(values);
    DaemonSet daemon = chart.one(DaemonSet.class);
    PodSpec pod = daemon.getSpec().getTemplate().getSpec();

    assertThat(daemon.getMetadata().getName()).isEqualTo(RELEASE + "-node");
    assertThat(pod.getNodeSelector()).isEqualTo(Map.of("vmtask.dev/vm-node", "qemu"));
    assertThat(pod.getTolerations())
        .extracting(Toleration::getKey)
        .containsExactly("vmtask.dev/vm");
    Container node = pod.getContainers().get(0);
    assertThat(node.getSecurityContext().getPrivileged()).isTrue();
    assertThat(pod.getHostNetwork()).isNotEqualTo(Boolean.TRUE);
    assertThat(pod.getHostPID()).isNotEqualTo(Boolean.TRUE);
    assertThat(pod.getVolumes())
        .filteredOn(v -> v.getHostPath() != null)
        .extracting(v -> v.getHostPath().getPath())
        .containsExactlyInAnyOrder(
            "/run/k8s/device-plugins", "/var/lib/vmtask/node", "/srv/kubelet", "/srv/vmtask-cache");
    assertThat(node.getVolumeMounts())
        .filteredOn(m -> m.getMountPath().equals("/srv/kubelet"))
        .singleElement()
        .satisfies(
            m ->
                assertThat(m.getMountPropagation())
                    .as("image mounts must reach the host")
                    .isEqualTo("Bidirectional"));
    Map<String, String> env =
        node.getEnv().stream()
            .collect(
                Collectors.toMap(
                    EnvVar::getName, e -> e.getValue() == null ? "<valueFrom>" : e.getValue()));
    assertThat(env)
        .containsEntry("NODE_NAME", "<valueFrom>")
        .containsEntry("VMTASK_NODE_DEVICE_PLUGIN_DIR", "/run/k8s/device-plugins")
        .containsEntry("VMTASK_NODE_KVM_SLOTS", "8")
        .containsEntry("VMTASK_NODE_VERDICT_OVERRIDE", "usable")
        .containsEntry("VMTASK_NODE_KUBELET_DIR", "/srv/kubelet")
        .containsEntry("VMTASK_NODE_CACHE_DIR", "/srv/vmtask-cache")
        .containsEntry("VMTASK_NODE_CACHE_MAX_BYTES", "53687091200")
        .containsEntry("VMTASK_NODE_CACHE_FLOOR_BYTES", "2147483648")
        .containsEntry("VMTASK_NODE_IMAGE_SHARING", "namespace");
    assertThat(node.getResources().getLimits()).containsKey("memory");
    CSIDriver driver = chart.one(CSIDriver.class);
    assertThat(driver.getMetadata().getName()).isEqualTo("images.vmtask.dev");
    assertThat(driver.getSpec().getVolumeLifecycleModes()).containsExactly("Ephemeral");
    assertThat(driver.getSpec().getPodInfoOnMount()).isTrue();
    assertThat(driver.getSpec().getAttachRequired()).isFalse();

    assertThat(pod.getServiceAccountName()).isEqualTo(RELEASE + "-node");
    assertThat(chart.named(ClusterRole.class, RELEASE + "-node").getRules())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getResources()).containsExactly("nodes");
              assertThat(r.getVerbs()).containsExactly("patch");
            });
    assertThat(chart.named(ClusterRoleBinding.class, RELEASE + "-node").getSubjects())
        .extracting("name")
        .containsExactly(RELEASE + "-node");
    // RBAC cannot say "its own node": an admission policy narrows the patch right
    ValidatingAdmissionPolicy policy =
        chart.named(ValidatingAdmissionPolicy.class, RELEASE + "-node");
    assertThat(policy.getSpec().getMatchConditions())
        .singleElement()
        .satisfies(
            c ->
                assertThat(c.getExpression())
                    .isEqualTo(
                        "request.userInfo.username =="
                            + " \"system:serviceaccount:vmtask-system:vmtask-node\""));
    assertThat(policy.getSpec().getFailurePolicy()).isEqualTo("Fail");
    assertThat(policy.getSpec().getValidations())
        .extracting(v -> v.getMessage())
        .containsExactly(
            "the vmtask node daemon may change only the Node its pod runs on",
            "the vmtask node daemon may change only the vmtask.dev/kvm label and vmtask.dev/kvm-*"
                + " annotations",
            "the vmtask node daemon may not change a Node's spec, owners or finalizers");
    assertThat(
            chart
                .named(ValidatingAdmissionPolicyBinding.class, RELEASE + "-node")
                .getSpec()
                .getValidationActions())
        .containsExactly("Deny");
  }

  @Test
  void aPolicyRefusesVmImagesNamingASecretTheirAuthorMayNotRead() {
    RenderedChart chart = render(Map.of());
    ValidatingAdmissionPolicy policy =
        chart.named(ValidatingAdmissionPolicy.class, RELEASE + "-image-secrets");
    assertThat(policy.getSpec().getFailurePolicy()).isEqualTo("Fail");
    assertThat(policy.getSpec().getMatchConstraints().getResourceRules())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getResources()).containsExactly("vmimages");
              assertThat(r.getOperations()).containsExactly("CREATE", "UPDATE");
            });
    assertThat(policy.getSpec().getVariables())
        .extracting(v -> v.getExpression())
        .anySatisfy(e -> assertThat(e).contains("resource('secrets')").contains("check('get')"));
    assertThat(
            chart
                .named(ValidatingAdmissionPolicyBinding.class, RELEASE + "-image-secrets")
                .getSpec()
                .getPolicyName())
        .isEqualTo(RELEASE + "-image-secrets");
  }

  @Test
  void aPolicyRefusesTasksPublishingAnImageTheirAuthorMayNotCreate() {
    RenderedChart chart = render(Map.of());
    ValidatingAdmissionPolicy policy =
        chart.named(ValidatingAdmissionPolicy.class, RELEASE + "-task-output");
    assertThat(policy.getSpec().getFailurePolicy()).isEqualTo("Fail");
    assertThat(policy.getSpec().getMatchConstraints().getResourceRules())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getResources()).containsExactly("virtualmachinetasks");
              assertThat(r.getOperations()).containsExactly("CREATE");
            });
    assertThat(policy.getSpec().getValidations())
        .singleElement()
        .satisfies(
            v ->
                assertThat(v.getExpression())
                    .contains("resource('vmimages')")
                    .contains("check('create')")
                    .contains("check('patch')"));
    assertThat(
            chart
                .named(ValidatingAdmissionPolicyBinding.class, RELEASE + "-task-output")
                .getSpec()
                .getValidationActions())
        .containsExactly("Deny");
  }

  @Test
  void nodeDaemonHasItsOwnPlacementWhenGiven() {
    RenderedChart chart =
        render(Map.of("agent.vmNodeSelector.pool", "vm", "nodeDaemon.nodeSelector.kvm", "present"));
    assertThat(chart.one(DaemonSet.class).getSpec().getTemplate().getSpec().getNodeSelector())
        .isEqualTo(Map.of("kvm", "present"));
    assertThat(env(render(Map.of("kvm.vmNodesHaveKvm", false)).one(Deployment.class)))
        .containsEntry("VMTASK_VM_NODES_HAVE_KVM", "false");
  }

  @Test
  void twoReplicasTurnOnLeaderElectionWithALeaseRoleInTheReleaseNamespace() {
    RenderedChart chart = render(Map.of("replicaCount", 2));
    Deployment deployment = chart.one(Deployment.class);

    assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
    assertThat(deployment.getSpec().getStrategy().getType()).isEqualTo("RollingUpdate");
    assertThat(env(deployment)).containsEntry("VMTASK_LEADER_ELECTION", "true");
    Role role = chart.one(Role.class);
    assertThat(role.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
    assertThat(role.getRules())
        .allSatisfy(
            r -> {
              assertThat(r.getApiGroups()).containsExactly("coordination.k8s.io");
              assertThat(r.getResources()).containsExactly("leases");
            });
    // Renewing and taking over the Lease is a PATCH (fabric8's LeaseLock), only on its own Lease.
    assertThat(role.getRules())
        .filteredOn(r -> r.getVerbs().contains("patch"))
        .singleElement()
        .satisfies(r -> assertThat(r.getResourceNames()).containsExactly("vmtask-operator"));
    RoleBinding binding = chart.one(RoleBinding.class);
    assertThat(binding.getRoleRef().getName()).isEqualTo(role.getMetadata().getName());
    assertThat(binding.getSubjects()).extracting("name").containsExactly(RELEASE);
  }

  @Test
  void leaderElectionCanBeForcedWithOneReplica() {
    RenderedChart chart = render(Map.of("leaderElection.enabled", true));

    assertThat(env(chart.one(Deployment.class))).containsEntry("VMTASK_LEADER_ELECTION", "true");
    assertThat(chart.all(Role.class)).hasSize(1);
  }

  @Test
  void alertsAndTheDashboardRenderWhenAskedFor() throws IOException {
    RenderedChart chart =
        render(
            Map.of(
                "metrics.prometheusRule.enabled", true,
                "metrics.prometheusRule.labels.release", "kube-prometheus",
                "metrics.grafanaDashboard.enabled", true));

    GenericKubernetesResource rule = chart.one(GenericKubernetesResource.class);
    assertThat(rule.getKind()).isEqualTo("PrometheusRule");
    assertThat(rule.getMetadata().getLabels()).containsEntry("release", "kube-prometheus");
    assertThat(new ObjectMapper().writeValueAsString(rule.getAdditionalProperties()))
        .contains("VmtaskInfrastructureFailures", "VmtaskQueueStuck", "VmtaskRetriesHigh")
        .as("Helm must leave Prometheus' own template markers alone")
        .contains("{{ $value }}");
    ConfigMap dashboard = chart.named(ConfigMap.class, RELEASE + "-dashboard");
    assertThat(dashboard.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
    var json = new ObjectMapper().readTree(dashboard.getData().get("vmtask.json"));
    assertThat(json.path("uid").asText()).isEqualTo("vmtask-tasks");
    assertThat(json.path("panels")).hasSize(8);
    assertThat(render(Map.of()).all(ConfigMap.class)).isEmpty();
  }

  @Test
  void serviceMonitorIsOffByDefaultAndRendersWhenAskedFor() {
    RenderedChart chart =
        render(
            Map.of(
                "metrics.serviceMonitor.enabled",
                true,
                "metrics.serviceMonitor.labels.release",
                "prom"));

    GenericKubernetesResource monitor = chart.one(GenericKubernetesResource.class);
    assertThat(monitor.getKind()).isEqualTo("ServiceMonitor");
    assertThat(monitor.getMetadata().getLabels()).containsEntry("release", "prom");
    assertThat(render(Map.of()).all(GenericKubernetesResource.class)).isEmpty();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "agent.node.maxCPUs     | -1          | at '/agent/node/maxCPUs': minimum: got -1, want 1",
        "agent.node.maxMemoryMiB| 0           | at '/agent/node/maxMemoryMiB': minimum",
        "nodeDaemon.cache.maxBytes | 1000     | at '/nodeDaemon/cache/maxBytes': minimum",
        "nodeDaemon.cache.hostPath | relative/dir | at '/nodeDaemon/cache/hostPath'",
        "nodeDaemon.cache.sharing  | everyone | at '/nodeDaemon/cache/sharing'",
        "nodeDaemon.kubeletRootDir | kubelet  | at '/nodeDaemon/kubeletRootDir'",
        "nodeDaemon.enabled     | false       | additional properties 'enabled' not allowed",
        "agent.acceleration     | tcg         | additional properties 'acceleration' not allowed",
        "reconciliationThreads  | 0           | at '/reconciliationThreads': minimum",
        "agent.podDeadlineAllowanceSeconds | 5 | at '/agent/podDeadlineAllowanceSeconds': minimum",
        "agent.memoryOverheadMiB| -5          | at '/agent/memoryOverheadMiB': minimum",
        "image.pullPolicy       | Sometimes   | at '/image/pullPolicy'",
        "replicaCount           | many        | at '/replicaCount'",
        "watchNamespaces[0]     | Not_A_Name  | at '/watchNamespaces/0'",
        "agnet.acceleration     | tcg         | additional properties 'agnet' not allowed",
        "nodeDaemon.cache.size  | 10          | additional properties 'size' not allowed",
        "kvm.verdictOverride    | maybe       | at '/kvm/verdictOverride'",
        "kvm.slotsPerNode       | 0           | at '/kvm/slotsPerNode': minimum",
        "nodeDaemon.devicePluginDir | device-plugins | at '/nodeDaemon/devicePluginDir'",
        "nodeDaemon.privileged  | false       | additional properties 'privileged' not allowed",
      })
  void schemaRejectsBadValuesWithTheirPath(String key, String value, String message) {
    assertThatThrownBy(() -> render(Map.of(key, value)))
        .hasMessageContaining("values don't meet the specifications of the schema")
        .hasMessageContaining(message);
  }

  @Test
  void clustersOlderThanTheMinimumAreRefused() {
    TemplateCommand template =
        new Helm(RepoRoot.chart()).template().withName(RELEASE).withKubeVersion("1.28.9");

    assertThatThrownBy(template::call)
        .hasMessageContaining("chart requires kubeVersion: >=1.29.0-0");
  }

  @Test
  void chartCrdsAreTheRepositoryCrds() throws IOException {
    Map<String, String> repository = yamlFiles(RepoRoot.get().resolve("crds"));
    Map<String, String> chart = yamlFiles(RepoRoot.chart().resolve("crds"));

    assertThat(repository).as("CRDs in crds/").isNotEmpty();
    assertThat(chart)
        .as("helm/vmtask/crds/ must equal crds/; run: cp crds/*.yml helm/vmtask/crds/")
        .isEqualTo(repository);
  }

  private static RenderedChart render(Map<String, ?> values) {
    TemplateCommand template =
        new Helm(RepoRoot.chart())
            .template()
            .withName(RELEASE)
            .withNamespace(NAMESPACE)
            .withKubeVersion(KUBE_VERSION);
    values.forEach(template::set);
    return RenderedChart.parse(template.call());
  }

  private static Container operator(Deployment deployment) {
    return deployment.getSpec().getTemplate().getSpec().getContainers().stream()
        .filter(c -> c.getName().equals("operator"))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no container 'operator' in the Deployment"));
  }

  private static Map<String, String> env(Deployment deployment) {
    return operator(deployment).getEnv().stream()
        .collect(
            Collectors.toMap(
                EnvVar::getName, e -> e.getValue() == null ? "<valueFrom>" : e.getValue()));
  }

  private static List<String> grants(List<PolicyRule> rules, String group, String resource) {
    return rules.stream()
        .filter(r -> r.getApiGroups().contains(group) && r.getResources().contains(resource))
        .flatMap(r -> r.getVerbs().stream())
        .toList();
  }

  private static Map<String, String> yamlFiles(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return Map.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      Map<String, String> contents = new TreeMap<>();
      for (Path file : files.filter(f -> f.toString().matches(".*\\.ya?ml$")).toList()) {
        contents.put(file.getFileName().toString(), Files.readString(file));
      }
      return contents;
    }
  }
}
