package dev.vmtask.testbed;

import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/** The JUnit side of {@link Testbed}: starts the cluster and resolves its parameters. */
public final class TestbedExtension
    implements BeforeAllCallback, AfterEachCallback, ParameterResolver {
  private static final ExtensionContext.Namespace STORE =
      ExtensionContext.Namespace.create(TestbedExtension.class);

  @Override
  public void beforeAll(ExtensionContext context) {
    TestbedCluster.client(mode(context));
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == KubernetesClient.class || type == TestNamespace.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    KubernetesClient client = TestbedCluster.client(mode(context));
    if (parameter.getParameter().getType() == KubernetesClient.class) {
      return client;
    }
    if (context.getTestMethod().isEmpty()) {
      throw new ParameterResolutionException(
          "a TestNamespace belongs to one test: declare it on a test or @BeforeEach/@AfterEach"
              + " method, not on "
              + parameter.getDeclaringExecutable());
    }
    // The same namespace for @BeforeEach, the test and @AfterEach of one test.
    return context
        .getStore(STORE)
        .getOrComputeIfAbsent(
            TestNamespace.class, key -> TestNamespace.create(client), TestNamespace.class);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    TestNamespace namespace =
        context.getStore(STORE).remove(TestNamespace.class, TestNamespace.class);
    if (namespace != null) {
      namespace.delete();
    }
  }

  private static Mode mode(ExtensionContext context) {
    return context
        .getTestClass()
        .flatMap(type -> AnnotationSupport.findAnnotation(type, Testbed.class))
        .map(Testbed::value)
        .orElse(Mode.CONTROL_PLANE);
  }
}
