package dev.vmtask.agent.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The taskcluster-compatible surface: JSON forms, result semantics, error format. */
class MetadataServiceTest {
  private final HttpClient http = HttpClient.newHttpClient();
  private MetadataService service;

  @BeforeEach
  void start() throws Exception {
    service =
        MetadataService.start(
            new GuestCommand(List.of("echo", "hi"), Map.of("K", "v")),
            new ByteArrayOutputStream(),
            new GuestActions(Duration.ofSeconds(1), Duration.ofSeconds(1)),
            Duration.ofMillis(200));
  }

  @AfterEach
  void stop() {
    service.close();
  }

  private HttpResponse<String> send(String method, String path, String header) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(
                URI.create(
                    "http://127.0.0.1:" + service.address().getPort() + "/engine/v1/" + path))
            .method(method, HttpRequest.BodyPublishers.noBody());
    if (header != null) {
      b.header(MetadataService.EXIT_CODE_HEADER, header);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void executeInJsonMarksTheCommandFetched() throws Exception {
    HttpResponse<String> r = send("GET", "execute", null);

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("{\"command\":[\"echo\",\"hi\"],\"env\":{\"K\":\"v\"}}");
    assertThat(service.commandFetched()).isDone();
  }

  @Test
  void executeCarriesTheHostClockForTheGuest() throws Exception {
    java.time.Instant before = java.time.Instant.now();
    HttpResponse<String> r = send("GET", "execute", null);

    java.time.Instant host =
        java.time.Instant.parse(r.headers().firstValue(MetadataService.TIME_HEADER).orElseThrow());
    assertThat(host).isBetween(before, java.time.Instant.now());
  }

  @Test
  void inputsAreListedOnExecuteServedByNameAndTheirFailureIsKept(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
    java.nio.file.Path file = java.nio.file.Files.writeString(tmp.resolve("in"), "payload");
    service.close();
    service =
        MetadataService.start(
            new GuestCommand(
                List.of("true"),
                Map.of(),
                List.of(new GuestInput("0", "/root/in", file, 0600, 7, "ab"))),
            new ByteArrayOutputStream(),
            new GuestActions(Duration.ofSeconds(1), Duration.ofSeconds(1)),
            Duration.ofMillis(200));

    assertThat(send("GET", "execute", null).body())
        .contains(
            "\"inputs\":[{\"name\":\"0\",\"path\":\"/root/in\",\"size\":7,\"sha256\":\"ab\","
                + "\"mode\":384}]");
    assertThat(send("GET", "input?name=0", null).body()).isEqualTo("payload");
    assertThat(send("GET", "input?name=1", null).statusCode()).isEqualTo(404);
    assertThat(send("GET", "execute?format=sh", null).statusCode()).isEqualTo(400);

    HttpResponse<String> failed =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:" + service.address().getPort() + "/engine/v1/failed"))
                .method("PUT", HttpRequest.BodyPublishers.noBody())
                .header(MetadataService.EXIT_CODE_HEADER, "125")
                .header(MetadataService.INPUT_FAILED_HEADER, "/root/in: no space left on device")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(failed.statusCode()).isEqualTo(200);
    assertThat(service.result().join().inputFailure())
        .isEqualTo("/root/in: no space left on device");
  }

  @Test
  void resultIsIdempotentAndConflictsAreRejected() throws Exception {
    assertThat(send("PUT", "failed", "4").statusCode()).isEqualTo(200);
    assertThat(send("PUT", "failed", "4").statusCode()).isEqualTo(200);
    HttpResponse<String> conflict = send("PUT", "success", null);

    assertThat(conflict.statusCode()).isEqualTo(409);
    assertThat(conflict.body()).contains("\"code\":\"ResourceConflict\"");
    assertThat(service.result().join().exitCode()).isEqualTo(4);
  }

  @Test
  void anExitCodeThatContradictsTheResultIsInvalid() throws Exception {
    HttpResponse<String> r = send("PUT", "success", "3");

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("InvalidPayload");
    assertThat(service.result()).isNotDone();
  }

  @Test
  void pollTimesOutWithNoneAndErrorsUseTaskclusterCodes() throws Exception {
    assertThat(send("GET", "poll", null).body())
        .isEqualTo("{\"id\":\"\",\"type\":\"none\",\"path\":\"\"}");
    assertThat(send("POST", "execute", null).statusCode()).isEqualTo(405);
    assertThat(send("GET", "nope", null).body()).contains("NoSuchEndPoint");
    assertThat(send("POST", "reply?id=unknown", null).body()).contains("UnknownActionId");
  }
}
