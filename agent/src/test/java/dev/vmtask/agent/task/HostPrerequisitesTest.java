package dev.vmtask.agent.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostPrerequisitesTest {
  @TempDir Path tmp;

  private Path executable(String name) throws Exception {
    Path p = tmp.resolve(name);
    Files.writeString(p, "#!/bin/sh\n");
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    return p;
  }

  @Test
  void namesEveryMissingProgramAndItsPackage() throws Exception {
    executable("qemu-img");

    String missing = HostPrerequisites.missing("qemu-system-x86_64", tmp.toString());

    assertThat(missing)
        .contains("qemu-system-x86_64 (Debian package qemu-system-x86)")
        .contains("socat (Debian package socat)")
        .doesNotContain("qemu-img (");
  }

  @Test
  void nothingMissingWhenAllAreOnThePath() throws Exception {
    executable("qemu-img");
    executable("socat");
    Path qemu = executable("my-qemu");

    assertThat(HostPrerequisites.missing("my-qemu", "/nonexistent:" + tmp)).isNull();
    assertThat(HostPrerequisites.missing(qemu.toString(), tmp.toString())).isNull();
  }

  @Test
  void aNonExecutableFileDoesNotCount() throws Exception {
    Files.writeString(tmp.resolve("socat"), "");
    executable("qemu-img");
    executable("qemu-system-x86_64");

    assertThat(HostPrerequisites.missing("qemu-system-x86_64", tmp.toString())).contains("socat");
  }
}
