package dev.vmtask.testbed;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs a test class against a real Kubernetes: the cluster {@code KUBECONFIG} points at when it is
 * reachable, else the local testbed, started once per JVM by {@code testbed/testbed.sh up} and left
 * running. Test methods, constructors and lifecycle methods may declare a {@link
 * io.fabric8.kubernetes.client.KubernetesClient} parameter (cluster admin) and, outside
 * {@code @BeforeAll}/{@code @AfterAll}, a {@link TestNamespace} parameter (a fresh namespace,
 * deleted after the test).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(TestbedExtension.class)
public @interface Testbed {
  Mode value() default Mode.CONTROL_PLANE;
}
