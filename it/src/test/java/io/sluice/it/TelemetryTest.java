package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.sluice.it.support.Idp;
import io.sluice.it.support.Metrics;
import io.sluice.testkit.Await;
import io.sluice.testkit.LambdaEmulator;
import io.sluice.testkit.RedisServer;
import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestBackend;
import io.sluice.testkit.TestResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * Traces and metrics of a running gateway: spans through the SDK's in-memory exporter, metrics by
 * scraping {@code /metrics} on the admin port, the access log through a logback appender.
 */
class TelemetryTest {

  static final String CLIENT_TRACE = "0af7651916cd43dd8448eb211c80319c";
  static final String CLIENT_SPAN = "b7ad6b7169203331";

  static final KeyPair RSA = Idp.rsa(2048);
  static final Idp idp = new Idp();
  static final RedisServer redis = RedisServer.start();
  static final LambdaEmulator lambda = new LambdaEmulator();

  static {
    idp.publish("/keys.json", Map.of("k1", RSA.getPublic()));
  }

  /** Stops Redis after the gateway (extensions stop in the reverse order of their fields). */
  @RegisterExtension static final AfterAllCallback stopRedis = context -> redis.close();

  @RegisterExtension
  static final SluiceExtension sluice =
      SluiceExtension.withConfig(
              """
              gateway:
                redis: { url: "${env:REDIS_URL}", timeout: 500ms }
                loadShedding: { adaptive: true, initialLimit: 1000, maxLimit: 1000 }
              backends:
                retried:
                  type: http
                  targets: [ "http://127.0.0.1:${env:CLOSED_PORT}", "http://127.0.0.1:${env:CLOSED_PORT}/b" ]
                  retry: { attempts: 2 }
                  outlier: { consecutiveFailures: 1 }
                echo: { type: http, targets: [ "${backend:echo}" ] }
                down: { type: http, targets: [ "http://127.0.0.1:${env:CLOSED_PORT}" ] }
                guarded:
                  type: http
                  targets: [ "http://127.0.0.1:${env:CLOSED_PORT}" ]
                  concurrency: { max: 10 }
                  circuitBreaker: { maxFailures: 1, openFor: 1h }
                fn:
                  type: lambda
                  function: cold
                  region: eu-west-1
                  endpoint: "${lambda}"
                  coldStarts: { sample: 1 }
                  warm: { every: 1h }
              routes:
                - { id: orders, match: { path: "/orders/{id}" }, backend: echo }
                - id: keyed
                  match: { path: /keyed }
                  backend: echo
                  policies: [ { api-key: { keys: [ { id: app, key: "0123456789abcdef-app" } ] } } ]
                - id: limited
                  match: { path: /limited }
                  backend: echo
                  policies: [ { rate-limit: { key: route, limits: [ { requests: 1, per: 1h } ] } } ]
                - id: shared
                  match: { path: /shared }
                  backend: echo
                  policies:
                    - rate-limit: { key: route, store: redis, limits: [ { requests: 100, per: 1h } ] }
                - id: token
                  match: { path: /token }
                  backend: echo
                  policies:
                    - jwt: { issuer: "https://idp.test/", audiences: [ a ], jwks: "${backend:idp}/keys.json" }
                - { id: down, match: { path: /down }, backend: down }
                - { id: guarded, match: { path: /guarded }, backend: guarded }
                - { id: retried, match: { path: /retried }, backend: retried }
                - { id: fn, match: { path: /fn }, backend: fn }
                - id: cached
                  match: { path: /cached }
                  backend: echo
                  policies: [ { cache: { ttl: 1m } } ]
              """)
          .env("CLOSED_PORT", String.valueOf(TestBackend.closedPort()))
          .env("REDIS_URL", redis.url())
          .backend("echo", TestBackend.echo())
          .backend("idp", idp.server())
          .lambda(lambda)
          .build();

  @Test
  void serverAndBackendSpansJoinTheClientsTrace() {
    TestResponse r =
        sluice
            .client()
            .send(
                HttpMethod.GET,
                "/orders/42?secret=s3",
                Map.of(
                    "traceparent",
                    "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01",
                    "tracestate",
                    "vendor=x"),
                null);
    assertThat(r.status()).isEqualTo(200);
    // The backend got the gateway's attempt span as its parent, in the client's trace.
    JsonObject sent = r.json().getJsonObject("headers");
    String[] parent = sent.getString("traceparent").split("-");
    assertThat(parent[1]).isEqualTo(CLIENT_TRACE);
    assertThat(parent[2]).isNotEqualTo(CLIENT_SPAN);
    assertThat(parent[3]).isEqualTo("01");
    assertThat(sent.getString("tracestate")).isEqualTo("vendor=x");

    SpanData server = sluice.awaitSpan(s -> s.getKind() == SpanKind.SERVER && inClientTrace(s));
    SpanData client = sluice.awaitSpan(s -> s.getKind() == SpanKind.CLIENT && inClientTrace(s));
    assertThat(server.getName()).isEqualTo("GET /orders/{id}");
    assertThat(server.getParentSpanId()).isEqualTo(CLIENT_SPAN);
    assertThat(server.getAttributes().get(AttributeKey.stringKey("http.route")))
        .isEqualTo("/orders/{id}");
    assertThat(server.getAttributes().get(AttributeKey.stringKey("sluice.route.id")))
        .isEqualTo("orders");
    assertThat(server.getAttributes().get(AttributeKey.stringKey("http.request.method")))
        .isEqualTo("GET");
    assertThat(server.getAttributes().get(AttributeKey.longKey("http.response.status_code")))
        .isEqualTo(200L);
    assertThat(server.getAttributes().get(AttributeKey.stringKey("url.path")))
        .isEqualTo("/orders/42");
    assertThat(server.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);

    assertThat(client.getParentSpanId()).isEqualTo(server.getSpanId());
    assertThat(client.getSpanId()).isEqualTo(parent[2]);
    assertThat(client.getName()).isEqualTo("GET");
    assertThat(client.getAttributes().get(AttributeKey.stringKey("sluice.backend")))
        .isEqualTo("echo");
    assertThat(client.getAttributes().get(AttributeKey.longKey("http.response.status_code")))
        .isEqualTo(200L);
    // The query string may carry credentials: not in the span.
    assertThat(client.getAttributes().get(AttributeKey.stringKey("url.full")))
        .isEqualTo(sluice.backend("echo").url() + "/orders/42");
  }

  @Test
  void problemsAndTheAccessLogCarryTheTraceId() {
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    log.start();
    Logger access = (Logger) LoggerFactory.getLogger("sluice.access");
    access.addAppender(log);
    try {
      TestResponse r = sluice.client().get("/nowhere");
      assertThat(r.status()).isEqualTo(404);
      String traceId = r.json().getString("traceId");
      assertThat(traceId).matches("[0-9a-f]{32}");
      SpanData server = sluice.awaitSpan(s -> s.getTraceId().equals(traceId));
      assertThat(server.getKind()).isEqualTo(SpanKind.SERVER);
      assertThat(server.getName()).isEqualTo("GET");
      Await.until(
          () -> log.list.stream().anyMatch(e -> e.getFormattedMessage().contains(traceId)), 5);
      String line =
          log.list.stream()
              .map(ILoggingEvent::getFormattedMessage)
              .filter(m -> m.contains(traceId))
              .findFirst()
              .orElseThrow();
      assertThat(new JsonObject(line).getString("traceId")).isEqualTo(traceId);
      assertThat(new JsonObject(line).getString("requestId"))
          .isEqualTo(r.json().getString("requestId"));
    } finally {
      access.detachAppender(log);
    }
  }

  @Test
  void anUnsampledTraceIsPassedOnButNotRecorded() throws InterruptedException {
    String trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    TestResponse r =
        sluice
            .client()
            .send(
                HttpMethod.GET,
                "/orders/7",
                Map.of("traceparent", "00-" + trace + "-00f067aa0ba902b7-00"),
                null);
    assertThat(r.status()).isEqualTo(200);
    String[] parent = r.json().getJsonObject("headers").getString("traceparent").split("-");
    assertThat(parent[1]).isEqualTo(trace);
    assertThat(parent[3]).isEqualTo("00");
    // Another request's span shows the exporter is working; none was made for this trace.
    sluice.client().get("/orders/8");
    sluice.awaitSpan(
        s -> "/orders/8".equals(s.getAttributes().get(AttributeKey.stringKey("url.path"))));
    assertThat(sluice.spans()).noneMatch(s -> s.getTraceId().equals(trace));
  }

  @Test
  void aPolicysAnswerIsAnEventOnTheServerSpan() {
    TestResponse r = sluice.client().get("/keyed");
    assertThat(r.status()).isEqualTo(401);
    String traceId = r.json().getString("traceId");
    SpanData server = sluice.awaitSpan(s -> s.getTraceId().equals(traceId));
    assertThat(server.getAttributes().get(AttributeKey.stringKey("sluice.policy")))
        .isEqualTo("api-key");
    EventData event = server.getEvents().get(0);
    assertThat(event.getName()).isEqualTo("sluice.policy.answered");
    assertThat(event.getAttributes().get(AttributeKey.stringKey("sluice.policy")))
        .isEqualTo("api-key");
    assertThat(event.getAttributes().get(AttributeKey.stringKey("sluice.problem.type")))
        .isEqualTo("urn:sluice:problem:unauthorized");
    assertThat(event.getAttributes().get(AttributeKey.longKey("http.response.status_code")))
        .isEqualTo(401L);
    // No backend attempt.
    assertThat(sluice.spans())
        .noneMatch(s -> s.getTraceId().equals(traceId) && s.getKind() == SpanKind.CLIENT);
  }

  @Test
  void aFailedBackendAttemptIsAnErrorOnBothSpans() {
    TestResponse r = sluice.client().get("/down");
    assertThat(r.status()).isEqualTo(502);
    String traceId = r.json().getString("traceId");
    SpanData client =
        sluice.awaitSpan(s -> s.getTraceId().equals(traceId) && s.getKind() == SpanKind.CLIENT);
    SpanData server =
        sluice.awaitSpan(s -> s.getTraceId().equals(traceId) && s.getKind() == SpanKind.SERVER);
    assertThat(client.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(client.getAttributes().get(AttributeKey.stringKey("error.type")))
        .isEqualTo("connect_error");
    assertThat(server.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(server.getAttributes().get(AttributeKey.stringKey("error.type"))).isEqualTo("502");
  }

  @Test
  void metricsArePrometheusTextOnTheAdminPort() {
    Metrics before = scrape();
    assertThat(sluice.client().get("/orders/1").status()).isEqualTo(200);
    assertThat(sluice.client().get("/orders/2").status()).isEqualTo(200);
    assertThat(sluice.client().get("/nowhere").status()).isEqualTo(404);
    assertThat(sluice.client().get("/keyed").status()).isEqualTo(401);
    assertThat(sluice.client().get("/token").status()).isEqualTo(401);
    assertThat(sluice.client().get("/limited").status()).isEqualTo(200);
    assertThat(sluice.client().get("/limited").status()).isEqualTo(429);
    assertThat(sluice.client().get("/shared").status()).isEqualTo(200);
    assertThat(sluice.client().get("/down").status()).isEqualTo(502);
    Metrics after = scrape();

    String requests = "sluice_request_duration_seconds_count";
    assertThat(
            after.delta(
                before, requests, "route", "orders", "method", "GET", "status_class", "2xx"))
        .isEqualTo(2);
    assertThat(after.delta(before, requests, "route", "unmatched", "status_class", "4xx"))
        .isEqualTo(1);
    assertThat(after.delta(before, requests, "route", "limited", "status_class", "4xx"))
        .isEqualTo(1);
    assertThat(after.delta(before, requests, "route", "down", "status_class", "5xx")).isEqualTo(1);
    String attempts = "sluice_backend_request_duration_seconds_count";
    // orders twice, limited once, shared once: the refused requests never reached the backend.
    assertThat(after.delta(before, attempts, "backend", "echo", "outcome", "2xx")).isEqualTo(4);
    assertThat(after.delta(before, attempts, "backend", "down", "outcome", "connect_error"))
        .isEqualTo(1);
    String refusals = "sluice_auth_refusals_total";
    assertThat(
            after.delta(
                before, refusals, "route", "keyed", "policy", "api-key", "reason", "missing"))
        .isEqualTo(1);
    assertThat(
            after.delta(before, refusals, "route", "token", "policy", "jwt", "reason", "missing"))
        .isEqualTo(1);
    String decisions = "sluice_ratelimit_decisions_total";
    assertThat(after.delta(before, decisions, "route", "limited", "decision", "allowed"))
        .isEqualTo(1);
    assertThat(after.delta(before, decisions, "route", "limited", "decision", "limited"))
        .isEqualTo(1);
    assertThat(after.delta(before, decisions, "route", "shared", "decision", "allowed"))
        .isEqualTo(1);
    assertThat(after.value("sluice_ratelimit_store_up", "store", "127.0.0.1:" + redis.port()))
        .isEqualTo(1);
    // The key set is fetched when the gateway starts, without a request waiting for it.
    Await.until(() -> scrape().value("sluice_jwks_fetches_total", "outcome", "success") == 1, 5);
    assertThat(after.value("sluice_requests_active")).isEqualTo(0);
    assertThat(after.value("sluice_connections_active")).isGreaterThan(0);
    // Latency buckets are there, and labels are route ids: never a raw path.
    assertThat(after.text())
        .contains("sluice_request_duration_seconds_bucket{")
        .doesNotContain("/orders/1");
  }

  @Test
  void theGrafanaDashboardQueriesOnlyMetricsTheGatewayExports() throws IOException {
    // Everything the dashboard shows happens at least once.
    sluice.client().get("/orders/1");
    sluice.client().get("/keyed");
    sluice.client().get("/limited");
    sluice.client().get("/shared");
    sluice.client().get("/token");
    sluice.client().get("/down");
    sluice.client().get("/guarded"); // 502: opens the circuit
    sluice.client().get("/guarded"); // 503: shed
    sluice.client().get("/retried"); // 502 after a retry; a target ejected
    sluice.client().get("/fn"); // a cold start, met by this request or the first ping
    sluice.client().get("/cached");
    Await.until(() -> scrape().has("sluice_jwks_fetches"), 5);
    Metrics scraped = scrape();
    Path file = Path.of("..", "helm", "sluice", "dashboards", "sluice.json");
    JsonObject dashboard = new JsonObject(Files.readString(file));
    assertThat(dashboard.getString("title")).isNotBlank();
    Set<String> queried = new TreeSet<>();
    Matcher m = Pattern.compile("\\bsluice_[a-z_]+").matcher(dashboard.encode());
    while (m.find()) {
      queried.add(m.group());
    }
    assertThat(queried).isNotEmpty();
    for (String name : queried) {
      assertThat(scraped.has(name))
          .as("the dashboard queries %s, which the gateway does not export", name)
          .isTrue();
    }
  }

  private static Metrics scrape() {
    TestResponse r = sluice.admin().get("/metrics");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("content-type")).startsWith("text/plain; version=0.0.4");
    return Metrics.parse(r.body());
  }

  private static boolean inClientTrace(SpanData s) {
    return s.getTraceId().equals(CLIENT_TRACE);
  }
}
