package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.sluice.it.support.Metrics;
import io.sluice.testkit.AzureFunctionsHost;
import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestBackend;
import io.sluice.testkit.TestResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * azure-function backends through the running gateway, against a loopback emulator of a Functions
 * host that checks the function key.
 */
class AzureFunctionTest {

  static final AzureFunctionsHost azure = new AzureFunctionsHost();
  static final String KEY = AzureFunctionsHost.KEY;

  @RegisterExtension
  static final SluiceExtension sluice =
      SluiceExtension.withConfig(
              """
              backends:
                orders:
                  type: azure-function
                  url: "${backend:azure}/api/echo/orders/{id}/lines/{line}?fixed=1"
                  key: ${env:FUNCTION_KEY}
                wrongKey: { type: azure-function, url: "${backend:azure}/api/echo/x", key: not-the-key }
                throttled:
                  type: azure-function
                  url: "${backend:azure}/api/throttled"
                  key: ${env:FUNCTION_KEY}
                  retry: { attempts: 3, backoff: 1ms }
                unavailable:
                  type: azure-function
                  url: "${backend:azure}/api/unavailable"
                  key: ${env:FUNCTION_KEY}
                  retry: { attempts: 2, backoff: 1ms }
                slow: { type: azure-function, url: "${backend:azure}/api/slow", key: "${env:FUNCTION_KEY}", timeout: 300ms }
                stream: { type: azure-function, url: "${backend:azure}/api/stream", key: "${env:FUNCTION_KEY}" }
                anonymous: { type: azure-function, url: "${backend:azure}/api/public/hello" }
                down: { type: azure-function, url: "http://127.0.0.1:${env:CLOSED_PORT}/api/x", key: k }
              routes:
                - { id: orders, match: { path: "/orders/{id}/lines/{line}" }, backend: orders }
                - { id: wrong-key, match: { path: /wrong-key }, backend: wrongKey }
                - { id: throttled, match: { path: /throttled }, backend: throttled }
                - { id: unavailable, match: { path: /unavailable }, backend: unavailable }
                - { id: slow, match: { path: /slow }, backend: slow }
                - { id: stream, match: { path: /stream }, backend: stream }
                - { id: anonymous, match: { path: /anonymous }, backend: anonymous }
                - { id: down, match: { path: /down }, backend: down }
              """)
          .backend("azure", azure.backend())
          .env("FUNCTION_KEY", KEY)
          .env("CLOSED_PORT", String.valueOf(TestBackend.closedPort()))
          .build();

  @Test
  void methodQueryHeadersAndBodyReachTheFunctionWithPathVariablesSubstituted() {
    TestResponse r =
        sluice
            .client()
            .send(
                HttpMethod.PUT,
                "/orders/a%20b/lines/7?x=1&x=2",
                Map.of("Content-Type", "application/json", "X-Custom", "yes"),
                "{\"qty\":3}");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("x-function")).isEqualTo("echo");
    JsonObject got = r.json();
    assertThat(got.getString("method")).isEqualTo("PUT");
    assertThat(got.getString("path")).isEqualTo("/api/echo/orders/a%20b/lines/7");
    assertThat(got.getString("query")).isEqualTo("fixed=1&x=1&x=2");
    assertThat(got.getString("body")).isEqualTo("{\"qty\":3}");
    JsonObject headers = got.getJsonObject("headers");
    assertThat(headers.getString("x-custom")).isEqualTo("yes");
    assertThat(headers.getString("host")).isEqualTo("127.0.0.1:" + azure.backend().port());
    assertThat(headers.getString("x-forwarded-host")).isEqualTo("127.0.0.1:" + sluice.port());
    assertThat(headers.getString("x-functions-key")).isEqualTo(KEY);
    assertThat(r.header("x-functions-key")).isNull();
  }

  @Test
  void aClientsOwnKeyNeverReachesTheFunction() {
    int refused = azure.refusedKeys();
    TestResponse r =
        sluice
            .client()
            .send(
                HttpMethod.GET,
                "/orders/1/lines/2",
                Map.of("x-functions-key", "client-guess"),
                null);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getJsonObject("headers").getString("x-functions-key")).isEqualTo(KEY);
    TestResponse anon =
        sluice
            .client()
            .send(HttpMethod.GET, "/anonymous", Map.of("x-functions-key", "client-guess"), null);
    assertThat(anon.status()).isEqualTo(200);
    assertThat(anon.json().getJsonObject("headers").containsKey("x-functions-key")).isFalse();
    assertThat(azure.refusedKeys()).isEqualTo(refused);
  }

  @Test
  void aRefusedKeyIsA502AndTheKeyIsNowhereInTheAnswer() {
    int refused = azure.refusedKeys();
    TestResponse r = sluice.client().get("/wrong-key");
    assertThat(r.status()).isEqualTo(502);
    assertThat(r.json().getString("type")).isEqualTo("urn:sluice:problem:bad-gateway");
    assertThat(r.body()).doesNotContain("not-the-key");
    // The function's own status is not told either (the random ids may hold "401" by chance).
    io.vertx.core.json.JsonObject told = r.json().copy();
    told.remove("requestId");
    told.remove("traceId");
    assertThat(told.encode()).doesNotContain("401");
    assertThat(azure.refusedKeys()).isEqualTo(refused + 1);
  }

  @Test
  void throttlesAreRetriedWithinTheBudgetThenAnswered503WithRetryAfter() {
    Metrics m0 = scrape();
    azure.throttle(2);
    TestResponse ok =
        sluice.client().send(HttpMethod.POST, "/throttled", Map.of(), "not idempotent, not run");
    assertThat(ok.status()).isEqualTo(200);
    assertThat(ok.json().getString("body")).isEqualTo("not idempotent, not run");

    azure.throttle(100);
    azure.retryAfter("3");
    try {
      TestResponse refused = sluice.client().get("/throttled");
      assertThat(refused.status()).isEqualTo(503);
      assertThat(refused.json().getString("type")).isEqualTo("urn:sluice:problem:overloaded");
      // 3 s is longer than maxBackoff: not waited for, passed on.
      assertThat(refused.header("Retry-After")).isEqualTo("3");
    } finally {
      azure.throttle(0);
      azure.retryAfter(null);
    }
    assertThat(
            scrape()
                .delta(
                    m0,
                    "sluice_backend_retries_total",
                    "backend",
                    "throttled",
                    "reason",
                    "throttled"))
        .isEqualTo(2);
  }

  @Test
  void aHostThatIsNotRunningIsRetriedThen503() {
    azure.unavailable(1);
    assertThat(sluice.client().get("/unavailable").status()).isEqualTo(200);
    azure.unavailable(5);
    TestResponse r = sluice.client().get("/unavailable");
    assertThat(r.status()).isEqualTo(503);
    assertThat(r.header("Retry-After")).isEqualTo("1");
    azure.unavailable(0);
  }

  @Test
  void aSlowFunctionIsA504AndAnUnreachableHostA502() {
    long t0 = System.nanoTime();
    assertThat(sluice.client().get("/slow").status()).isEqualTo(504);
    assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(250L, 900L);
    assertThat(sluice.client().get("/down").status()).isEqualTo(502);
  }

  @Test
  void aStreamedAnswerIsRelayedAndTheCallIsAFaasSpan() {
    TestResponse r = sluice.client().get("/stream");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("one two three");
    assertThat(r.header("content-type")).isEqualTo("text/plain");
    SpanData call =
        sluice.awaitSpan(
            s ->
                s.getKind() == SpanKind.CLIENT
                    && "stream"
                        .equals(
                            s.getAttributes().get(AttributeKey.stringKey("faas.invoked_name"))));
    assertThat(call.getAttributes().get(AttributeKey.stringKey("faas.invoked_provider")))
        .isEqualTo("azure");
    assertThat(call.getAttributes().toString()).doesNotContain(KEY);
  }

  private static Metrics scrape() {
    return Metrics.parse(sluice.admin().get("/metrics").body());
  }
}
