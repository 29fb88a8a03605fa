package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestBackend;
import io.sluice.testkit.TestResponse;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ErrorsTest {

  static final int CLOSED_PORT = closedPort();
  static final CountDownLatch endlessClosed = new CountDownLatch(1);

  @RegisterExtension
  static final SluiceExtension sluice =
      SluiceExtension.withConfig(
              """
              backends:
                dead: { type: http, targets: [ "http://127.0.0.1:%d" ], connectTimeout: 1s }
                silent: { type: http, targets: [ "${backend:silent}" ], timeout: 300ms }
                broken: { type: http, targets: [ "${backend:broken}" ] }
                endless: { type: http, targets: [ "${backend:endless}" ] }
                hello: { type: mock, body: hi }
              routes:
                - { id: dead, match: { path: /dead }, backend: dead }
                - { id: silent, match: { path: /silent }, backend: silent }
                - { id: broken, match: { path: /broken }, backend: broken }
                - { id: endless, match: { path: /endless }, backend: endless }
                - { id: hello, match: { methods: [ GET, POST ], path: /hello }, backend: hello }
                - { id: hello-put, match: { methods: [ PUT ], path: "/hello/{x}" }, backend: hello }
              """
                  .formatted(CLOSED_PORT))
          .backend("silent", TestBackend.of(req -> {})) // never answers
          .backend(
              "broken", // promises 1000 bytes, sends 100, hangs up
              TestBackend.of(
                  req -> {
                    req.response().putHeader("content-length", "1000").write("x".repeat(100));
                    req.connection().close();
                  }))
          .backend(
              "endless", // streams until the other side goes away
              TestBackend.of(
                  req -> {
                    HttpServerResponse res = req.response().setChunked(true);
                    long id =
                        Vertx.currentContext()
                            .owner()
                            .setPeriodic(20, t -> res.write("tick\n").onFailure(e -> {}));
                    res.closeHandler(
                        v -> {
                          Vertx.currentContext().owner().cancelTimer(id);
                          endlessClosed.countDown();
                        });
                  }))
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
  void backendThatBreaksOffMidResponseCutsTheClientConnection() {
    long start = System.nanoTime();
    String raw = sluice.client().raw("GET /broken HTTP/1.1\r\nHost: x\r\n\r\n", 5000);
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertThat(raw).startsWith("HTTP/1.1 200").contains("content-length: 1000");
    String body = raw.substring(raw.indexOf("\r\n\r\n") + 4);
    assertThat(body.length()).isLessThan(1000);
    assertThat(ms).as("closed, not left hanging").isLessThan(4000);
  }

  @Test
  void clientThatGoesAwayMidResponseStopsTheBackend() throws Exception {
    try (Socket s = new Socket("127.0.0.1", sluice.port())) {
      s.getOutputStream().write("GET /endless HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
      s.getOutputStream().flush();
      byte[] buf = new byte[256];
      assertThat(s.getInputStream().read(buf)).isPositive();
    }
    assertThat(endlessClosed.await(5, TimeUnit.SECONDS)).as("backend response closed").isTrue();
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
