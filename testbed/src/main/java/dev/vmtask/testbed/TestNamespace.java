package dev.vmtask.testbed;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientTimeoutException;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A namespace of one test, named {@code t-<random>}, labelled {@code vmtask.dev/test=true}, that
 * enforces the restricted Pod Security Standard: every pod vmtask makes must pass it, as in a
 * tenant's namespace. Ready when created: its {@code default} ServiceAccount exists, so pods pass
 * admission.
 */
public final class TestNamespace {
  private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final long SERVICE_ACCOUNT_TIMEOUT_SECONDS = 60;

  private final KubernetesClient client;
  private final String name;

  private TestNamespace(KubernetesClient client, String name) {
    this.client = client;
    this.name = name;
  }

  public static TestNamespace create(KubernetesClient client) {
    TestNamespace namespace = new TestNamespace(client, randomName());
    client
        .namespaces()
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(namespace.name)
                .addToLabels("vmtask.dev/test", "true")
                .addToLabels("pod-security.kubernetes.io/enforce", "restricted")
                .addToLabels("pod-security.kubernetes.io/enforce-version", "latest")
                .endMetadata()
                .build())
        .create();
    try {
      client
          .serviceAccounts()
          .inNamespace(namespace.name)
          .withName("default")
          .waitUntilCondition(Objects::nonNull, SERVICE_ACCOUNT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (KubernetesClientTimeoutException e) {
      throw new TestbedException(
          "namespace "
              + namespace.name
              + " got no default ServiceAccount within "
              + SERVICE_ACCOUNT_TIMEOUT_SECONDS
              + " s; is kube-controller-manager running?",
          e);
    }
    return namespace;
  }

  private static String randomName() {
    StringBuilder name = new StringBuilder("t-");
    for (int i = 0; i < 8; i++) {
      name.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return name.toString();
  }

  public String name() {
    return name;
  }

  /** Deletes the namespace (and so everything in it) without waiting for it to be gone. */
  public void delete() {
    client.namespaces().withName(name).delete();
  }

  @Override
  public String toString() {
    return name;
  }
}
