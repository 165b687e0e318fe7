package dev.vmtask.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.vmtask.api.image.ImagePhase;
import dev.vmtask.api.image.VMImage;
import dev.vmtask.api.task.OutputResult;
import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.TaskReason;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.testbed.Mode;
import dev.vmtask.testbed.TestNamespace;
import dev.vmtask.testbed.Testbed;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An image built in the cluster, through the chart: a task writes a file into its disk and
 * publishes the packaged disk as a VMImage from its claim; that image becomes Ready after the same
 * checks as a download, and a second task booting it reads the file back. A build whose command
 * fails publishes nothing. And an image from nothing: an ISO cdrom boots first and writes a blank
 * disk, which becomes the output.
 */
@Testbed(Mode.FULL)
class ImageBuildE2E {
  /** The test guest's boot disk is FAT; a build mounts it, as an installer mounts its target. */
  private static final String MOUNT = "mkdir -p /mnt && mount -t vfat /dev/vda /mnt";

  private static final String INSTALLED = "installed-from-cdrom";

  private HostPathClaim claim;

  @Test
  void aBuiltImageIsPublishedAndBootsWithWhatTheBuildWrote(
      KubernetesClient client, TestNamespace namespace) throws Exception {
    E2eEnvironment env = E2eEnvironment.get(client);
    claim = HostPathClaim.prepare(client, env, namespace, "builds", "ci", "broken");
    Tasks tasks = Tasks.withGuestImage(client, namespace.name(), "guest");

    tasks.create(
        Manifests.taskWithOutput(
            "build",
            "guest",
            MOUNT + " && echo toolchain-built-in-cluster > /mnt/built.txt && umount /mnt",
            "builds",
            "ci",
            "ci-image"));
    VirtualMachineTask build = tasks.awaitFinished("build");

    assertThat(build.getStatus().getPhase())
        .as("%s%nlog:%n%s", build.getStatus().getMessage(), tasks.log(build))
        .isEqualTo(TaskPhase.Succeeded);
    OutputResult output = build.getStatus().getOutput();
    assertThat(output).as("status.output").isNotNull();
    assertThat(output.getClaimName()).isEqualTo("builds");
    assertThat(output.getPath()).isEqualTo("ci/image.tar.zst");
    Path archive = claim.root().resolve(output.getPath());
    assertThat(output.getSha256()).isEqualTo(Digests.sha256(archive));
    assertThat(output.getSizeBytes()).isEqualTo(Files.size(archive));

    VirtualMachineTask published =
        await()
            .atMost(Duration.ofMinutes(1))
            .until(
                () -> tasks.get("build"),
                t -> Tasks.condition(t, "ImagePublished").getStatus() != null);
    assertThat(Tasks.condition(published, "ImagePublished").getStatus())
        .as("ImagePublished: %s", Tasks.condition(published, "ImagePublished").getMessage())
        .isEqualTo("True");
    assertThat(published.getStatus().getOutput().getImage()).isEqualTo("ci-image");

    VMImage image = tasks.awaitImage("ci-image", ImagePhase.Ready);
    assertThat(image.getSpec().getSha256()).isEqualTo(output.getSha256());
    assertThat(image.getSpec().getSource().getVolume().getClaimName()).isEqualTo("builds");
    assertThat(image.getSpec().getSource().getVolume().getPath()).isEqualTo("ci/image.tar.zst");
    assertThat(image.getStatus().getDigest()).isEqualTo("sha256:" + output.getSha256());

    tasks.create(Manifests.task("use", "ci-image", MOUNT + " && cat /mnt/built.txt", 300));
    VirtualMachineTask use = tasks.awaitFinished("use");
    assertThat(use.getStatus().getPhase())
        .as("%s%nlog:%n%s", use.getStatus().getMessage(), tasks.log(use))
        .isEqualTo(TaskPhase.Succeeded);
    assertThat(tasks.log(use)).contains("toolchain-built-in-cluster");

    tasks.create(
        Manifests.taskWithOutput(
            "broken", "guest", "echo half-built; exit 4", "builds", "broken", "broken-image"));
    VirtualMachineTask broken = tasks.awaitFinished("broken");
    assertThat(broken.getStatus().getReason()).isEqualTo(TaskReason.NonZeroExit);
    assertThat(broken.getStatus().getOutput()).isNull();
    assertThat(tasks.image("broken-image")).isNull();
    try (Stream<Path> files = Files.list(claim.root().resolve("broken"))) {
      assertThat(files).as("files the failed build left on its claim").isEmpty();
    }
  }

  @Test
  void aCdromInstallsOntoABlankDiskWhichBecomesTheOutput(
      KubernetesClient client, TestNamespace namespace) throws Exception {
    E2eEnvironment env = E2eEnvironment.get(client);
    claim = HostPathClaim.prepare(client, env, namespace, "builds", "installed");
    Tasks tasks = new Tasks(client, namespace.name());
    String url = env.images().serve("guest-cdrom.iso", env.guest().cdrom());
    tasks.createImage(Manifests.isoImage("installer", url, Digests.sha256(env.guest().cdrom())));

    tasks.create(
        Manifests.installTask(
            "install",
            "installer",
            1,
            "printf " + INSTALLED + " | dd of=/dev/vda conv=notrunc && sync",
            "builds",
            "installed"));
    VirtualMachineTask install = tasks.awaitFinished("install");

    assertThat(install.getStatus().getPhase())
        .as("%s%nlog:%n%s", install.getStatus().getMessage(), tasks.log(install))
        .isEqualTo(TaskPhase.Succeeded);
    assertThat(install.getStatus().getScreenshot()).as("the installer's screenshot").isNotNull();
    assertThat(claim.root().resolve("installed/screenshot.png")).isNotEmptyFile();
    OutputResult output = install.getStatus().getOutput();
    assertThat(output.getVirtualSizeBytes()).isEqualTo(1L << 30);
    Path archive = claim.root().resolve(output.getPath());
    assertThat(output.getSha256()).isEqualTo(Digests.sha256(archive));
    assertThat(firstBytesOfDisk(archive, INSTALLED.length())).isEqualTo(INSTALLED);
  }

  @Test
  void onlyAuthorsWhoMayCreateImagesMayPublishOne(
      KubernetesClient client, TestNamespace namespace) {
    E2eEnvironment.get(client); // the chart, with its admission policies
    String ns = namespace.name();
    client
        .rbac()
        .roles()
        .inNamespace(ns)
        .resource(
            new RoleBuilder()
                .withNewMetadata()
                .withName("task-author")
                .endMetadata()
                .addNewRule()
                .withApiGroups("vmtask.dev")
                .withResources("virtualmachinetasks")
                .withVerbs("create", "get")
                .endRule()
                .build())
        .create();
    client
        .rbac()
        .roleBindings()
        .inNamespace(ns)
        .resource(
            new RoleBindingBuilder()
                .withNewMetadata()
                .withName("task-author")
                .endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "Role", "task-author")
                .addNewSubject()
                .withKind("User")
                .withName("task-author")
                .endSubject()
                .build())
        .create();
    String publishing =
        Manifests.taskWithOutput("publish", "guest", "true", "builds", "ci", "someone-elses");
    String plain = Manifests.task("plain", "guest", "true", 60);

    try (KubernetesClient author =
        new KubernetesClientBuilder()
            .withConfig(
                new ConfigBuilder(client.getConfiguration())
                    .withImpersonateUsername("task-author")
                    .build())
            .build()) {
      Tasks asAuthor = new Tasks(author, ns);
      assertThatThrownBy(() -> asAuthor.create(publishing))
          .isInstanceOf(KubernetesClientException.class)
          .hasMessageContaining("task-author may not create or patch VMImage someone-elses");
      assertThat(asAuthor.create(plain).getMetadata().getName()).isEqualTo("plain");
    }
    // The same task from someone who may create images is accepted.
    assertThat(new Tasks(client, ns).create(publishing).getMetadata().getName())
        .isEqualTo("publish");
  }

  /** The start of disk.img in the archive, as GNU tar and zstd read it. */
  private static String firstBytesOfDisk(Path archive, int n) throws Exception {
    Process p =
        new ProcessBuilder(
                "sh",
                "-c",
                "zstd -dc \"$0\" | tar -xOf - disk.img | head -c " + n,
                archive.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String head = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    p.waitFor();
    return head;
  }

  @AfterEach
  void removeVolume() {
    if (claim != null) {
      claim.close();
    }
  }
}
