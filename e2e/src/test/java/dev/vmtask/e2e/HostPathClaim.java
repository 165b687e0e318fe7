package dev.vmtask.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vmtask.testbed.TestNamespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A claim of a test namespace bound to a hostPath volume on the testbed's node (the testbed has no
 * provisioner), with sub-directories the agent may write. Closing it removes the volume.
 */
final class HostPathClaim implements AutoCloseable {
  /** uid and gid of the agent in its container (images/agent/Containerfile). */
  private static final int AGENT_UID = 10001;

  private static final Path VOLUMES = Path.of("/var/lib/vmtask-e2e/volumes");

  private final KubernetesClient client;
  private final String volumeName;
  private final Path root;

  private HostPathClaim(KubernetesClient client, String volumeName, Path root) {
    this.client = client;
    this.volumeName = volumeName;
    this.root = root;
  }

  /** Claim {@code claim} in {@code namespace}, with {@code subPaths} made for the agent. */
  static HostPathClaim prepare(
      KubernetesClient client,
      E2eEnvironment env,
      TestNamespace namespace,
      String claim,
      String... subPaths)
      throws IOException, InterruptedException {
    assumeTrue(env.onTheNode(), "the hostPath volume is prepared and read on the testbed's node");
    String volumeName = "vmtask-e2e-" + namespace.name();
    Path root = VOLUMES.resolve(namespace.name());
    // hostPath directories are not chowned for the pod: the agent (uid 10001) must own them.
    for (String subPath : subPaths) {
      ownedByAgent(Files.createDirectories(root.resolve(subPath)));
    }
    ownedByAgent(Files.createDirectories(root));
    String[] documents =
        Manifests.hostPathClaim(claim, volumeName, root.toString()).split("(?m)^---$");
    client.persistentVolumes().load(stream(documents[0])).create();
    client
        .persistentVolumeClaims()
        .inNamespace(namespace.name())
        .load(stream(documents[1]))
        .create();
    return new HostPathClaim(client, volumeName, root);
  }

  /** The claim's root directory on the node. */
  Path root() {
    return root;
  }

  @Override
  public void close() {
    client.persistentVolumes().withName(volumeName).delete();
  }

  private static void ownedByAgent(Path dir) throws IOException, InterruptedException {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-x---"));
    Process chown =
        new ProcessBuilder("chown", AGENT_UID + ":" + AGENT_UID, dir.toString())
            .inheritIO()
            .start();
    assertThat(chown.waitFor()).as("chown %s", dir).isZero();
  }

  private static ByteArrayInputStream stream(String yaml) {
    return new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8));
  }
}
