package dev.vmtask.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.PortForward;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.util.ArrayList;
import java.util.List;

/**
 * Reaches a port on a pod's loopback through the pod's {@code portforward} subresource: one
 * websocket per {@link #connect()}, so every session gets its own stream and its own handshake. Two
 * pipes join the client's channel-based port-forward to the streams the sessions use.
 */
final class PodPortForward implements Transport {
  private final KubernetesClient client;
  private final String namespace;
  private final String pod;
  private final int port;

  PodPortForward(KubernetesClient client, String namespace, String pod, int port) {
    this.client = client;
    this.namespace = namespace;
    this.pod = pod;
    this.port = port;
  }

  @Override
  public Link connect() throws IOException {
    Pipe toPod = Pipe.open();
    Pipe fromPod = Pipe.open();
    // The client reads toPod and writes fromPod; when the websocket ends it closes both, so a
    // refused upgrade shows here as the end of the input, with its reason kept in the handle.
    PortForward forward =
        client
            .pods()
            .inNamespace(namespace)
            .withName(pod)
            .portForward(port, toPod.source(), fromPod.sink());
    InputStream input = Channels.newInputStream(fromPod.source());
    OutputStream output = Channels.newOutputStream(toPod.sink());
    return new Link() {
      @Override
      public InputStream input() {
        return input;
      }

      @Override
      public OutputStream output() {
        return output;
      }

      @Override
      public String failure() {
        List<Throwable> all = new ArrayList<>(forward.getServerThrowables());
        all.addAll(forward.getClientThrowables());
        return PortForwardFailure.describe(namespace, pod, port, all);
      }

      @Override
      public void close() throws IOException {
        try {
          forward.close();
        } finally {
          toPod.sink().close();
          fromPod.source().close();
        }
      }
    };
  }
}
