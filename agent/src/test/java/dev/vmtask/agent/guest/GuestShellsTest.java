package dev.vmtask.agent.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Shell sessions over the metadata service, with this test as the guest tools: the action carries
 * the request, the two streams pair into one session, and closing either end ends the other.
 */
class GuestShellsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private MetadataService service;

  @BeforeEach
  void start() throws Exception {
    service =
        MetadataService.start(
            new GuestCommand(List.of("true"), Map.of()),
            new ByteArrayOutputStream(),
            new GuestActions(Duration.ofSeconds(5), Duration.ofSeconds(5)),
            Duration.ofSeconds(5));
  }

  @AfterEach
  void stop() {
    service.close();
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + service.address().getPort() + "/engine/v1/" + path);
  }

  @Test
  void theGuestsTwoStreamsBecomeOneSession() throws Exception {
    ObjectNode request = JSON.createObjectNode().put("tty", true);
    request.putArray("command").add("uname");
    CompletableFuture<GuestShells.Session> opened =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return service.shells().open(request);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });

    JsonNode action =
        JSON.readTree(
            http.send(
                    HttpRequest.newBuilder(uri("poll")).build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
    assertThat(action.path("type").asText()).isEqualTo("shell");
    assertThat(action.path("shell")).isEqualTo(request);
    String id = action.path("id").asText();

    CompletableFuture<HttpResponse<InputStream>> input =
        http.sendAsync(
            HttpRequest.newBuilder(uri("shell/input?id=" + id)).build(),
            HttpResponse.BodyHandlers.ofInputStream());
    // A raw chunked upload: the guest writes frames as they come, which is what is tested here.
    Socket upload = new Socket("127.0.0.1", service.address().getPort());
    OutputStream guestWrites = upload.getOutputStream();
    guestWrites.write(
        ("POST /engine/v1/shell/output?id="
                + id
                + " HTTP/1.1\r\nHost: guest\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    guestWrites.flush();

    GuestShells.Session session = opened.get(10, TimeUnit.SECONDS);
    OutputStream toGuest = session.toGuest();
    toGuest.write("to-guest".getBytes(StandardCharsets.UTF_8));
    toGuest.flush();
    InputStream guestReads = input.get(10, TimeUnit.SECONDS).body();
    assertThat(new String(guestReads.readNBytes(8), StandardCharsets.UTF_8)).isEqualTo("to-guest");

    guestWrites.write("a\r\nfrom-guest\r\n".getBytes(StandardCharsets.US_ASCII));
    guestWrites.flush();
    assertThat(readSome(session.fromGuest())).isEqualTo("from-guest");

    guestWrites.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    guestWrites.flush();
    assertThat(session.fromGuest().read()).as("the guest ended its output").isEqualTo(-1);
    session.close();
    assertThat(guestReads.read()).as("the guest's input ends with the session").isEqualTo(-1);
    upload.setSoTimeout(10_000);
    assertThat(new String(upload.getInputStream().readNBytes(12), StandardCharsets.US_ASCII))
        .isEqualTo("HTTP/1.1 200");
    upload.close();
  }

  /**
   * One read, as the relay does: not readNBytes, whose final zero-length read would wait for the
   * next chunk's header in the JDK server's chunked stream.
   */
  private static String readSome(InputStream in) throws java.io.IOException {
    byte[] buf = new byte[100];
    int n = in.read(buf);
    return new String(buf, 0, Math.max(n, 0), StandardCharsets.UTF_8);
  }

  @Test
  void aGuestThatNeverOpensItsStreamsTimesOutWithAReason() throws Exception {
    GuestShells shells =
        new GuestShells(
            new GuestActions(Duration.ofSeconds(5), Duration.ofSeconds(5)), Duration.ofMillis(300));
    // Nobody polls: the action is never taken.
    assertThatThrownBy(() -> shells.open(JSON.createObjectNode()))
        .isInstanceOf(GuestActionException.class)
        .hasMessageContaining("did not poll for the shell action");
  }

  @Test
  void unknownSessionIdsAreRefused() throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(uri("shell/input?id=nope")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("UnknownActionId");
  }

  @Test
  void atMostFourSessionsAtOnce() throws Exception {
    GuestActions actions = new GuestActions(Duration.ofSeconds(30), Duration.ofSeconds(5));
    GuestShells shells = new GuestShells(actions, Duration.ofSeconds(30));
    for (int i = 0; i < GuestShells.MAX_SESSIONS; i++) {
      CompletableFuture.runAsync(
          () -> {
            try {
              shells.open(JSON.createObjectNode());
            } catch (Exception e) {
              // the test ends before anyone polls
            }
          });
    }
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThatThrownBy(() -> shells.open(JSON.createObjectNode()))
                    .hasMessageContaining("at most 4 shell sessions"));
  }
}
