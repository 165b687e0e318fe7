package dev.vmtask.operator.it;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Installs the committed CRDs (crds/*.yml) and waits until they are served. */
public final class Crds {
  private static final java.util.Set<String> installedOn = new java.util.HashSet<>();

  private Crds() {}

  public static synchronized void install(KubernetesClient client) throws IOException {
    String server = client.getConfiguration().getMasterUrl();
    if (installedOn.contains(server)) {
      return;
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(Path.of("../crds"))) {
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
    installedOn.add(server);
  }
}
