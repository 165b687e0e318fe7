package dev.vmtask.testbed;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Installs CRDs from a directory of YAML files (the committed crds/) and waits until they are
 * served.
 */
public final class Crds {
  private static final Set<String> installedOn = new HashSet<>();

  private Crds() {}

  public static synchronized void install(KubernetesClient client, Path dir) throws IOException {
    String key = client.getConfiguration().getMasterUrl() + " " + dir.toAbsolutePath().normalize();
    if (installedOn.contains(key)) {
      return;
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.toString().endsWith(".yml")).sorted().toList();
    }
    for (Path file : files) {
      CustomResourceDefinition crd;
      try (InputStream in = Files.newInputStream(file)) {
        crd = client.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class);
      }
      client.resource(crd).forceConflicts().serverSideApply();
      client
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .withName(crd.getMetadata().getName())
          .waitUntilCondition(
              c ->
                  c != null
                      && c.getStatus() != null
                      && c.getStatus().getConditions() != null
                      && c.getStatus().getConditions().stream()
                          .anyMatch(
                              x ->
                                  "Established".equals(x.getType())
                                      && "True".equals(x.getStatus())),
              60,
              TimeUnit.SECONDS);
    }
    installedOn.add(key);
  }
}
