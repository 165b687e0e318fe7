package dev.vmtask.operator.it;

import static dev.vmtask.operator.it.ItSupport.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtask.api.image.ImagePhase;
import dev.vmtask.api.image.Prefetch;
import dev.vmtask.api.image.VMImage;
import dev.vmtask.operator.Fixtures;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The image reconciler: phases from fetch pod outcomes, digest pinning, prefetch, cleanup. */
class ImageLifecycleIT {
  private static final String DIGEST_A = "sha256:" + "a".repeat(64);
  private ItSupport it;
  private ItCluster c;

  @BeforeEach
  void start() throws Exception {
    it = new ItSupport(Map.of());
    c = it.cluster;
  }

  @AfterEach
  void stop() {
    it.close();
  }

  @Test
  void aFetchPodValidatesTheImageAndIsRemovedOnceObserved() {
    c.createImage("deb");
    eventually().until(() -> c.pod("deb-fetch-g1") != null);
    Pod pod = c.pod("deb-fetch-g1");
    var agent = pod.getSpec().getContainers().get(0);
    assertThat(agent.getArgs()).containsExactly("fetch");
    assertThat(pod.getMetadata().getOwnerReferences().get(0).getKind()).isEqualTo("VMImage");
    assertThat(pod.getSpec().getNodeSelector()).containsKey(RunningOperator.NODE_LABEL);
    assertThat(agent.getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("VMTASK_TASK");
              assertThat(e.getValue())
                  .contains("\"url\":\"http://images.example/deb.qcow2\"")
                  .contains("\"sha256\":\"" + Fixtures.SHA + "\"");
            });
    eventually()
        .untilAsserted(
            () -> assertThat(c.image("deb").getStatus().getPhase()).isEqualTo(ImagePhase.Pending));

    c.kubelet.bind("deb-fetch-g1");
    c.kubelet.running("deb-fetch-g1", false);
    c.kubelet.terminated(
        "deb-fetch-g1", 0, "Completed", FakeKubelet.report(0, "Completed", "fetched"));
    eventually()
        .untilAsserted(
            () -> {
              var s = c.image("deb").getStatus();
              assertThat(s.getPhase()).isEqualTo(ImagePhase.Ready);
              assertThat(s.getDigest()).isEqualTo(DIGEST_A);
              assertThat(s.getShortDigest()).isEqualTo("aaaaaaaaaaaa");
              assertThat(s.getSizeBytes()).isEqualTo(1000);
              assertThat(s.getVirtualSizeBytes()).isEqualTo(4000);
              assertThat(s.getObservedGeneration()).isEqualTo(1L);
              assertThat(s.getNodes()).extracting(n -> n.getName()).containsExactly(c.node);
              assertThat(s.getConditions())
                  .filteredOn(x -> x.getType().equals("Ready"))
                  .singleElement()
                  .satisfies(
                      x -> {
                        assertThat(x.getType()).isEqualTo("Ready");
                        assertThat(x.getStatus()).isEqualTo("True");
                      });
            });
    eventually().until(() -> c.pod("deb-fetch-g1") == null);
  }

  @Test
  void aFailedFetchFailsTheImageWithTheAgentsMessage() {
    c.createImage("bad");
    eventually().until(() -> c.pod("bad-fetch-g1") != null);
    c.kubelet.bind("bad-fetch-g1");
    c.kubelet.terminated(
        "bad-fetch-g1",
        125,
        "Error",
        "{\"exitCode\":125,\"reason\":\"ImageFailed\",\"message\":\"qcow2 has a backing file\"}");
    eventually()
        .untilAsserted(
            () -> {
              var s = c.image("bad").getStatus();
              assertThat(s.getPhase()).isEqualTo(ImagePhase.Failed);
              assertThat(s.getMessage()).isEqualTo("qcow2 has a backing file");
              assertThat(s.getConditions().get(0).getReason()).isEqualTo("ImageFailed");
            });
  }

  @Test
  void anUnverifiedImagePinsItsFirstDigest() {
    VMImage image = Fixtures.image(c.namespace, "free");
    image.getMetadata().setUid(null);
    image.getMetadata().setGeneration(null);
    image.getSpec().setSha256(null);
    image.getSpec().setAllowUnverified(true);
    c.client.resource(image).create();
    eventually().until(() -> c.pod("free-fetch-g1") != null);
    assertThat(
            c.pod("free-fetch-g1").getSpec().getContainers().get(0).getEnv().stream()
                .filter(e -> e.getName().equals("VMTASK_TASK"))
                .findFirst()
                .orElseThrow()
                .getValue())
        .doesNotContain("\"sha256\"");
    c.kubelet.bind("free-fetch-g1");
    c.kubelet.terminated("free-fetch-g1", 0, "Completed", FakeKubelet.report(0, "Completed", "ok"));
    eventually().until(() -> c.image("free").getStatus().getPhase() == ImagePhase.Ready);

    // A new generation (new URL) whose content has another digest is refused.
    c.client
        .resources(VMImage.class)
        .inNamespace(c.namespace)
        .withName("free")
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"spec\":{\"source\":{\"http\":{\"url\":\"http://images.example/other.qcow2\"}}}}");
    eventually().until(() -> c.pod("free-fetch-g2") != null);
    assertThat(
            c.pod("free-fetch-g2").getSpec().getContainers().get(0).getEnv().stream()
                .filter(e -> e.getName().equals("VMTASK_TASK"))
                .findFirst()
                .orElseThrow()
                .getValue())
        .as("the pinned digest is what the agent must verify")
        .contains("a".repeat(64));
    c.kubelet.bind("free-fetch-g2");
    String other = FakeKubelet.report(0, "Completed", "ok").replace("a".repeat(64), "b".repeat(64));
    c.kubelet.terminated("free-fetch-g2", 0, "Completed", other);
    eventually()
        .untilAsserted(
            () -> {
              var s = c.image("free").getStatus();
              assertThat(s.getPhase()).isEqualTo(ImagePhase.Failed);
              assertThat(s.getObservedGeneration()).isEqualTo(2L);
              assertThat(s.getDigest()).isEqualTo(DIGEST_A);
              assertThat(s.getMessage()).contains("digest changed");
            });
  }

  @Test
  void prefetchRunsOneFetchPodPerSelectedNode() {
    VMImage image = Fixtures.image(c.namespace, "pre");
    image.getMetadata().setUid(null);
    image.getMetadata().setGeneration(null);
    Prefetch prefetch = new Prefetch();
    prefetch.setNodeSelector(
        Map.of(
            "vmtask.dev/prefetch",
            c.client
                .nodes()
                .withName(c.node)
                .get()
                .getMetadata()
                .getLabels()
                .get("vmtask.dev/prefetch")));
    image.getSpec().setPrefetch(prefetch);
    c.client.resource(image).create();
    eventually().until(() -> c.pod("pre-fetch-g1") != null);
    c.kubelet.bind("pre-fetch-g1");
    c.kubelet.terminated("pre-fetch-g1", 0, "Completed", FakeKubelet.report(0, "Completed", "ok"));
    // The validating pod ran on the same node, so that node already holds it: no prefetch pod.
    eventually().until(() -> c.image("pre").getStatus().getPhase() == ImagePhase.Ready);
    assertThat(c.image("pre").getStatus().getNodes())
        .extracting(n -> n.getName())
        .containsExactly(c.node);
    eventually().until(() -> c.pod("pre-fetch-g1") == null);
    assertThat(c.pods()).isEmpty();
  }

  @Test
  void prefetchTargetsNodesThatDoNotHoldTheImage() {
    VMImage image = Fixtures.image(c.namespace, "spread");
    image.getMetadata().setUid(null);
    image.getMetadata().setGeneration(null);
    String value =
        c.client
            .nodes()
            .withName(c.node)
            .get()
            .getMetadata()
            .getLabels()
            .get("vmtask.dev/prefetch");
    Prefetch prefetch = new Prefetch();
    prefetch.setNodeSelector(Map.of("vmtask.dev/prefetch", value));
    image.getSpec().setPrefetch(prefetch);
    c.client.resource(image).create();
    eventually().until(() -> c.pod("spread-fetch-g1") != null);
    // Validated on some other node: the selected node still needs the image.
    String elsewhere = ItCluster.createNode(c.client, "elsewhere-" + value);
    new FakeKubelet(c.client, c.namespace, elsewhere).bind("spread-fetch-g1");
    c.kubelet.terminated(
        "spread-fetch-g1", 0, "Completed", FakeKubelet.report(0, "Completed", "ok"));
    try {
      eventually()
          .until(
              () ->
                  c.pods().stream()
                      .anyMatch(
                          p ->
                              "prefetch"
                                  .equals(p.getMetadata().getLabels().get("vmtask.dev/role"))));
      Pod pre =
          c.pods().stream()
              .filter(p -> "prefetch".equals(p.getMetadata().getLabels().get("vmtask.dev/role")))
              .findFirst()
              .orElseThrow();
      assertThat(
              pre.getSpec()
                  .getAffinity()
                  .getNodeAffinity()
                  .getRequiredDuringSchedulingIgnoredDuringExecution()
                  .getNodeSelectorTerms()
                  .get(0)
                  .getMatchFields()
                  .get(0)
                  .getValues())
          .containsExactly(c.node);
      String name = pre.getMetadata().getName();
      c.kubelet.bind(name);
      c.kubelet.terminated(name, 0, "Completed", FakeKubelet.report(0, "Completed", "ok"));
      eventually()
          .untilAsserted(
              () ->
                  assertThat(c.image("spread").getStatus().getNodes())
                      .extracting(n -> n.getName())
                      .containsExactlyInAnyOrder(c.node, elsewhere));
      eventually().until(() -> c.pod(name) == null);
    } finally {
      c.client.nodes().withName(elsewhere).delete();
    }
  }
}
