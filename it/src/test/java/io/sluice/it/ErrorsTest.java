package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestBackend;
import io.sluice.testkit.TestResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ErrorsTest {

  static final int CLOSED_PORT = closedPort();

  @RegisterExtension
  static final SluiceExtension sluice =
      SluiceExtension.withConfig(
              """
              backends:
                dead: { type: http, targets: [ "http://127.0.0.1:%d" ], connectTimeout: 1s }
                silent: { type: http, targets: [ "${backend:silent}" ], timeout: 300ms }
                hello: { type: mock, body: hi }
              routes:
                - { id: dead, match: { path: /dead }, backend: dead }
                - { id: silent, match: { path: /silent }, backend: silent }
                - { id: hello, match: { methods: [ GET, POST ], path: /hello }, backend: hello }
                - { id: hello-put, match: { methods: [ PUT ], path: "/hello/{x}" }, backend: hello }
              """
                  .formatted(CLOSED_PORT))
          .backend("silent", TestBackend.of(req -> {})) // never answers
          .build();

  private static int closedPort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonObject problem(TestResponse r, int status, String type) {
    assertThat(r.status()).isEqualTo(status);
    assertThat(r.header("content-type")).isEqualTo("application/problem+json");
    JsonObject p = r.json();
    assertThat(p.getString("type")).isEqualTo("urn:sluice:problem:" + type);
    assertThat(p.getInteger("status")).isEqualTo(status);
    assertThat(p.getString("title")).isNotBlank();
    assertThat(p.getString("requestId")).isEqualTo(r.header("X-Request-Id")).isNotBlank();
    assertThat(r.body()).doesNotContain("Exception").doesNotContain("at io.");
    return p;
  }

  @Test
  void unknownPathIsA404Problem() {
    problem(sluice.client().get("/nowhere"), 404, "not-found");
  }

  @Test
  void knownPathWithAnotherMethodIsA405ProblemWithAllow() {
    TestResponse r = sluice.client().send(HttpMethod.DELETE, "/hello", Map.of(), null);
    problem(r, 405, "method-not-allowed");
    assertThat(r.header("Allow")).isEqualTo("GET, HEAD, POST");
  }

  @Test
  void problemCarriesTheClientsRequestId() {
    TestResponse r =
        sluice
            .client()
            .send(HttpMethod.GET, "/nowhere", Map.of("X-Request-Id", "trace-me-1"), null);
    assertThat(problem(r, 404, "not-found").getString("requestId")).isEqualTo("trace-me-1");
  }

  @Test
  void unreachableBackendIsA502() {
    problem(sluice.client().get("/dead"), 502, "bad-gateway");
  }

  @Test
  void backendThatDoesNotAnswerInTimeIsA504() {
    long start = System.nanoTime();
    TestResponse r = sluice.client().get("/silent");
    long ms = (System.nanoTime() - start) / 1_000_000;
    problem(r, 504, "gateway-timeout");
    assertThat(ms).isBetween(250L, 3000L);
  }

  @Test
  void pathThatClimbsAboveTheRootIsA400() {
    String raw = sluice.client().raw("GET /../hello HTTP/1.1\r\nHost: x\r\n\r\n", 2000);
    assertThat(raw).startsWith("HTTP/1.1 400");
  }

  @Test
  void dotSegmentsAreResolvedBeforeMatching() {
    String raw =
        sluice
            .client()
            .raw("GET /nope/../hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 2000);
    assertThat(raw).startsWith("HTTP/1.1 200").endsWith("hi");
    String encoded =
        sluice
            .client()
            .raw("GET /x/%2e%2e/hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 2000);
    assertThat(encoded).startsWith("HTTP/1.1 200");
  }

  @Test
  void headIsAnsweredWhereGetIs() {
    TestResponse r = sluice.client().send(HttpMethod.HEAD, "/hello", Map.of(), null);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("content-length")).isEqualTo("2");
    assertThat(r.body()).isEmpty();
  }
}
