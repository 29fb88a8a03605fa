package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.it.support.Metrics;
import io.sluice.testkit.Await;
import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestBackend;
import io.sluice.testkit.TestResponse;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Reloading the route file while the gateway serves: through POST /admin/reload, with the new
 * config in force at once, an invalid file refused with its errors while the old config stays,
 * state kept where the config did not change, and no failed request under load.
 */
class ReloadTest {

  static final String TOKEN = "reload-admin-token-0123456789";

  /**
   * A route file: version {@code v} (a header on every response, and backend two's timeout), route
   * main on {@code backend}.
   */
  static String routes(String v, String backend, String extraRoute) {
    return """
        gateway:
          admin: { token: "%s" }
          cache: { maxSize: 1MiB }
        backends:
          one: { type: http, targets: [ "${backend:one}" ] }
          two: { type: http, targets: [ "${backend:two}" ], timeout: %s }
          failing:
            type: http
            targets: [ "${backend:failing}" ]
            circuitBreaker: { maxFailures: 2, openFor: 1m }
        policies:
          - headers: { response: { set: { X-Global: "%s" } } }
        routes:
          - id: main
            match: { path: "/m/**" }
            backend: %s
            policies:
              - headers: { response: { set: { X-Route: "%s" } } }
          - id: limited
            match: { path: /limited }
            backend: one
            policies:
              - rate-limit: { limits: [ { requests: 3, per: 1h } ] }
          - id: cached
            match: { path: /cached }
            backend: one
            policies:
              - cache: { ttl: 1h }
          - { id: failing, match: { path: /failing }, backend: failing }
        %s
        """
        .formatted(TOKEN, v.equals("B") ? "5s" : "6s", v, backend, v, extraRoute);
  }

  static final String A = routes("A", "one", "");

  @RegisterExtension
  final SluiceExtension sluice =
      SluiceExtension.withConfig(A)
          .backend("one", TestBackend.fixed(200, "one"))
          .backend("two", TestBackend.fixed(200, "two"))
          .backend("failing", TestBackend.fixed(500, "broken"))
          .build();

  private TestResponse reload() {
    return sluice
        .admin()
        .send(HttpMethod.POST, "/admin/reload", Map.of("Authorization", "Bearer " + TOKEN), null);
  }

  private Metrics metrics() {
    return Metrics.parse(sluice.admin().get("/metrics").body());
  }

  @Test
  void aReloadPutsTheNewRoutesInForce() {
    assertThat(sluice.client().get("/m/x").body()).isEqualTo("one");
    assertThat(sluice.client().get("/new").status()).isEqualTo(404);
    sluice.writeRoutes(routes("B", "two", "  - { id: new, match: { path: /new }, backend: one }"));
    TestResponse r = reload();
    assertThat(r.status()).isEqualTo(200);
    JsonObject result = r.json();
    assertThat(result.getString("outcome")).isEqualTo("applied");
    assertThat(result.getInteger("routes")).isEqualTo(5);
    // The rate-limit and cache policies carried over; the global and main's headers changed.
    assertThat(result.getInteger("policiesUnchanged")).isEqualTo(2);
    assertThat(result.getInteger("backendsUnchanged")).isEqualTo(2); // two's timeout changed
    TestResponse m = sluice.client().get("/m/x");
    assertThat(m.body()).isEqualTo("two");
    assertThat(m.header("X-Global")).isEqualTo("B");
    assertThat(m.header("X-Route")).isEqualTo("B");
    assertThat(sluice.client().get("/new").body()).isEqualTo("one");
    assertThat(metrics().value("sluice_config_reloads_total", "result", "success")).isEqualTo(1);
    assertThat(metrics().value("sluice_config_last_reload_successful")).isEqualTo(1);
  }

  @Test
  void anInvalidFileIsRefusedWithItsErrorsAndTheConfigInForceStays() {
    sluice.writeRoutes(A.replace("path: /limited", "path: limited"));
    TestResponse r = reload();
    assertThat(r.status()).isEqualTo(422);
    assertThat(r.header("Content-Type")).isEqualTo("application/problem+json");
    JsonObject body = r.json();
    assertThat(body.getString("outcome")).isEqualTo("refused");
    List<String> errors = body.getJsonArray("errors").stream().map(String::valueOf).toList();
    assertThat(errors)
        .anyMatch(e -> e.matches(".*routes\\.yaml:\\d+:\\d+ routes\\[1\\]\\.match\\.path: .*"));
    // Still served by the config in force.
    TestResponse m = sluice.client().get("/m/x");
    assertThat(m.status()).isEqualTo(200);
    assertThat(m.header("X-Global")).isEqualTo("A");
    assertThat(metrics().value("sluice_config_reloads_total", "result", "failure")).isEqualTo(1);
    assertThat(metrics().value("sluice_config_last_reload_successful")).isZero();

    sluice.writeRoutes(routes("C", "one", ""));
    assertThat(reload().json().getString("outcome")).isEqualTo("applied");
    assertThat(sluice.client().get("/m/x").header("X-Global")).isEqualTo("C");
    assertThat(metrics().value("sluice_config_last_reload_successful")).isEqualTo(1);
  }

  @Test
  void stateSurvivesWhereTheConfigDidNotChange() {
    // Rate-limit bucket: 2 of 3 used before the reload.
    assertThat(sluice.client().get("/limited").status()).isEqualTo(200);
    assertThat(sluice.client().get("/limited").status()).isEqualTo(200);
    // Cache entry.
    assertThat(sluice.client().get("/cached").header("X-Cache")).isEqualTo("MISS");
    // Open circuit.
    sluice.client().get("/failing");
    sluice.client().get("/failing");
    int failingCalls = sluice.backend("failing").requestCount();
    assertThat(sluice.client().get("/failing").status()).isEqualTo(503);

    sluice.writeRoutes(routes("B", "two", ""));
    assertThat(reload().json().getString("outcome")).isEqualTo("applied");

    assertThat(sluice.client().get("/limited").status()).isEqualTo(200);
    assertThat(sluice.client().get("/limited").status()).as("the bucket was kept").isEqualTo(429);
    assertThat(sluice.client().get("/cached").header("X-Cache")).isEqualTo("HIT");
    assertThat(sluice.client().get("/failing").status()).isEqualTo(503);
    assertThat(sluice.backend("failing").requestCount())
        .as("the circuit stayed open")
        .isEqualTo(failingCalls);

    // A changed policy starts afresh.
    sluice.writeRoutes(routes("B", "two", "").replace("requests: 3", "requests: 5"));
    assertThat(reload().json().getString("outcome")).isEqualTo("applied");
    assertThat(sluice.client().get("/limited").status()).isEqualTo(200);
  }

  @Test
  void underLoadNoRequestFailsAndEachSeesOneConfigEntirely() throws Exception {
    String b = routes("B", "two", "");
    long end = System.nanoTime() + 3_000_000_000L;
    ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
    AtomicInteger done = new AtomicInteger();
    List<Future<Void>> clients = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Promise<Void> finished = Promise.promise();
      loop(end, wrong, done, finished);
      clients.add(finished.future());
    }
    int reloads = 0;
    while (System.nanoTime() < end) {
      sluice.writeRoutes(reloads % 2 == 0 ? b : A);
      assertThat(reload().json().getString("outcome")).isEqualTo("applied");
      reloads++;
      Thread.sleep(100);
    }
    Await.result(Future.all(clients), 30);
    assertThat(wrong).isEmpty();
    assertThat(reloads).isGreaterThanOrEqualTo(10);
    assertThat(done.get()).isGreaterThan(500);
  }

  /** One client: requests one after another until {@code end}, checking each answer. */
  private void loop(
      long end, ConcurrentLinkedQueue<String> wrong, AtomicInteger done, Promise<Void> finished) {
    if (System.nanoTime() >= end) {
      finished.complete();
      return;
    }
    sluice
        .client()
        .sendAsync(HttpMethod.GET, "/m/x", Map.of(), null)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                wrong.add("failed: " + ar.cause());
              } else {
                TestResponse r = ar.result();
                String g = r.header("X-Global");
                String expected = "A".equals(g) ? "one" : "two";
                if (r.status() != 200
                    || !g.equals(r.header("X-Route"))
                    || !expected.equals(r.body())) {
                  wrong.add(r.status() + " " + g + "/" + r.header("X-Route") + " " + r.body());
                }
                done.incrementAndGet();
              }
              loop(end, wrong, done, finished);
            });
  }

  @Test
  void aValidatePolicyReadsItsSchemaFileAgainOnAReload() throws Exception {
    java.nio.file.Path schema = sluice.routesFile().resolveSibling("order.json");
    java.nio.file.Files.writeString(schema, "{\"type\": \"object\"}");
    String withValidate =
        A
            + """
              - id: orders
                match: { path: /orders, methods: [ POST ] }
                backend: one
                policies:
                  - validate: { body: { schema: "%s" } }
            """
                .formatted(schema.toAbsolutePath());
    sluice.writeRoutes(withValidate);
    assertThat(reload().json().getString("outcome")).isEqualTo("applied");
    Map<String, String> json = Map.of("Content-Type", "application/json");
    assertThat(sluice.client().send(HttpMethod.POST, "/orders", json, "{\"n\": 1}").status())
        .isEqualTo(200);
    java.nio.file.Files.writeString(schema, "{\"type\": \"object\", \"required\": [\"m\"]}");
    assertThat(reload().json().getString("outcome")).isEqualTo("applied"); // same route file
    assertThat(sluice.client().send(HttpMethod.POST, "/orders", json, "{\"n\": 1}").status())
        .isEqualTo(400);
  }
}
