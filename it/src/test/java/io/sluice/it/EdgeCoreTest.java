package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.gateway.config.SluiceConfig.Trust;
import io.sluice.gateway.tier.TierAssertions;
import io.sluice.it.support.Idp;
import io.sluice.it.support.SluiceProcess;
import io.sluice.testkit.LambdaEmulator;
import io.sluice.testkit.TestBackend;
import io.sluice.testkit.TestClient;
import io.sluice.testkit.TestResponse;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three gateways as processes, loading one route file: an edge, core region a (preferred) and core
 * region b, each core with its own loopback backend, a Lambda emulator behind both, an IdP for the
 * edge's jwt policy. What the edge establishes reaches the core and the function; nothing reaches
 * the core without the edge; a core that dies costs idempotent requests nothing.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EdgeCoreTest {

  static final String KEY = "edge-core-test-tier-key-0123456789abcdef";
  static final KeyPair IDP_KEY = Idp.ec();

  static final String ROUTES =
      """
      gateway:
        role: ${env:SLUICE_ROLE}
        region: ${env:SLUICE_REGION:-}
        trust: { key: "${env:SLUICE_TIER_KEY}" }
        edge:
          core:
            - { region: a, url: "${env:CORE_A:-http://127.0.0.1:1}" }
            - { region: b, url: "${env:CORE_B:-http://127.0.0.1:1}" }
          failover: { consecutiveFailures: 2, ejectFor: 1s }
          healthCheck: { every: 300ms, timeout: 250ms, unhealthyAfter: 1, healthyAfter: 1 }
      backends:
        echo: { type: http, targets: [ "${env:ECHO:-http://127.0.0.1:1}" ] }
        fn:
          type: lambda
          function: echo
          region: eu-west-1
          endpoint: "${env:LAMBDA:-http://127.0.0.1:1}"
      routes:
        - id: me
          match: { methods: [ GET ], path: "/me/{id}" }
          backend: fn
          policies:
            - jwt:
                issuer: "https://idp.test/"
                audiences: [ orders-api ]
                jwks: "${env:IDP:-http://127.0.0.1:1}/keys.json"
            - rate-limit: { key: principal, limits: [ { requests: 3, per: 1m } ] }
              at: core
            - headers: { response: { set: { X-Core-Region: "${env:SLUICE_REGION:-}" } } }
              at: core
        - id: echo
          match: { path: "/echo/**" }
          backend: echo
          policies:
            - headers: { response: { set: { X-Core-Region: "${env:SLUICE_REGION:-}" } } }
              at: core
      """;

  @TempDir static Path dir;

  static Vertx tools;
  static final Idp idp = new Idp();
  static final LambdaEmulator lambda = new LambdaEmulator();
  static final TestBackend echoA = TestBackend.echo();
  static final TestBackend echoB = TestBackend.echo();
  static SluiceProcess coreA;
  static SluiceProcess coreB;
  static SluiceProcess edge;
  static TestClient client;

  @BeforeAll
  static void start() throws Exception {
    tools = Vertx.vertx();
    idp.server().start(tools);
    idp.publish("/keys.json", Map.of("ec-1", IDP_KEY.getPublic()));
    lambda.start(tools);
    echoA.start(tools);
    echoB.start(tools);
    Path routes = dir.resolve("routes.yaml");
    Files.writeString(routes, ROUTES);
    Map<String, String> core = new HashMap<>();
    core.put("SLUICE_ROLE", "core");
    core.put("SLUICE_TIER_KEY", KEY);
    core.put("LAMBDA", lambda.url());
    core.put("AWS_ACCESS_KEY_ID", LambdaEmulator.ACCESS_KEY);
    core.put("AWS_SECRET_ACCESS_KEY", LambdaEmulator.SECRET_KEY);
    core.put("OTEL_SDK_DISABLED", "true");
    coreA = SluiceProcess.start(dir, "core-a", routes, with(core, "a", echoA));
    coreB = SluiceProcess.start(dir, "core-b", routes, with(core, "b", echoB));
    edge =
        SluiceProcess.start(
            dir,
            "edge",
            routes,
            Map.of(
                "SLUICE_ROLE",
                "edge",
                "SLUICE_REGION",
                "edge-1",
                "SLUICE_TIER_KEY",
                KEY,
                "CORE_A",
                coreA.url(),
                "CORE_B",
                coreB.url(),
                "IDP",
                idp.server().url(),
                "OTEL_SDK_DISABLED",
                "true"));
    coreA.awaitReady();
    coreB.awaitReady();
    edge.awaitReady();
    client = new TestClient("127.0.0.1", edge.port());
    // The edge's first health checks may run before the cores listen: wait for region a.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!"a".equals(client.get("/echo/warm").header("X-Core-Region"))
        && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
  }

  private static Map<String, String> with(Map<String, String> base, String region, TestBackend b) {
    Map<String, String> env = new HashMap<>(base);
    env.put("SLUICE_REGION", region);
    env.put("ECHO", b.url());
    return env;
  }

  @AfterAll
  static void stop() throws Exception {
    for (SluiceProcess p : new SluiceProcess[] {edge, coreA, coreB}) {
      if (p != null) {
        p.close();
      }
    }
    if (client != null) {
      client.close();
    }
    lambda.stop();
    echoA.stop();
    echoB.stop();
    idp.server().stop();
    tools.close().await(10, TimeUnit.SECONDS);
  }

  private static String bearer(String subject, String scope) {
    return "Bearer "
        + Idp.token("ec-1", subject)
            .claim("scope", scope)
            .claim("tenant", "acme")
            .signWith(IDP_KEY.getPrivate())
            .compact();
  }

  private static TierAssertions.Signer signer(String key, Duration ttl) {
    SecretKeySpec k = new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    return new TierAssertions.Signer(new Trust(k, null, null, List.of(), ttl), "edge-1");
  }

  private static TierAssertions.Asserted mallory(String route, String method, String path) {
    return new TierAssertions.Asserted(
        "mallory", List.of("admin"), Map.of(), route, method, path, "r-1", null, "198.51.100.1");
  }

  @Test
  @Order(1)
  void theCallerTheEdgeAuthenticatedReachesTheCoreAndTheFunction() {
    // A client cannot smuggle an assertion of its own, even one made with the real key.
    String smuggled =
        signer(KEY, Duration.ofSeconds(30))
            .sign(mallory("me", "GET", "/me/1"), System.currentTimeMillis());
    TestResponse r =
        client.send(
            HttpMethod.GET,
            "/me/1",
            Map.of(
                "Authorization",
                bearer("alice", "orders:read orders:write"),
                "X-Sluice-Assertion",
                smuggled,
                "X-Sluice-Region",
                "evil"),
            null);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.header("X-Core-Region")).isEqualTo("a");
    JsonObject event = r.json();
    JsonObject jwt =
        event.getJsonObject("requestContext").getJsonObject("authorizer").getJsonObject("jwt");
    assertThat(jwt.getJsonObject("claims").getString("sub")).isEqualTo("alice");
    assertThat(jwt.getJsonObject("claims").getString("tenant")).isEqualTo("acme");
    assertThat(jwt.getJsonArray("scopes").getList()).containsExactly("orders:read", "orders:write");
    assertThat(event.getJsonObject("requestContext").getJsonObject("http").getString("sourceIp"))
        .as("the client's address, as the edge saw it")
        .isEqualTo("127.0.0.1");
    assertThat(event.getJsonObject("requestContext").getString("requestId"))
        .as("one request id from the edge to the function")
        .isEqualTo(r.header("X-Request-Id"));
    assertThat(event.getJsonObject("headers").fieldNames())
        .as("the tiers' headers never reach a function")
        .noneMatch(h -> h.toLowerCase().startsWith("x-sluice-"));

    TestResponse anonymous = client.get("/me/1");
    assertThat(anonymous.status()).as("the edge's jwt policy answers").isEqualTo(401);
    assertThat(anonymous.header("X-Core-Region")).as("never forwarded").isNull();
  }

  @Test
  @Order(2)
  void theCoresOwnPoliciesSeeTheAssertedPrincipal() {
    String bob = bearer("bob", "orders:read");
    for (int i = 0; i < 3; i++) {
      assertThat(
              client.send(HttpMethod.GET, "/me/" + i, Map.of("Authorization", bob), null).status())
          .isEqualTo(200);
    }
    TestResponse limited = client.send(HttpMethod.GET, "/me/4", Map.of("Authorization", bob), null);
    assertThat(limited.status()).as("the core's rate limit, by principal").isEqualTo(429);
    assertThat(limited.header("RateLimit-Policy"))
        .as("the edge has no rate limit: the core answered")
        .isEqualTo("\"3-per-1m\";q=3;w=60");
    assertThat(
            client
                .send(HttpMethod.GET, "/me/4", Map.of("Authorization", bearer("carol", "x")), null)
                .status())
        .as("another principal has its own bucket")
        .isEqualTo(200);
  }

  @Test
  @Order(3)
  void aCoreRefusesEveryRequestWithoutAValidAssertionFromTheEdge() throws Exception {
    int invocations = lambda.invocations("echo").size();
    try (TestClient direct = new TestClient("127.0.0.1", coreA.port())) {
      long now = System.currentTimeMillis();
      TierAssertions.Signer real = signer(KEY, Duration.ofSeconds(30));
      Map<String, String> cases = new java.util.LinkedHashMap<>();
      cases.put("none", null);
      cases.put("garbage", "not-a-jws");
      cases.put(
          "forged",
          signer("another-key-0123456789abcdef0123456789", Duration.ofSeconds(30))
              .sign(mallory("me", "GET", "/me/1"), now));
      cases.put("expired", real.sign(mallory("me", "GET", "/me/1"), now - 120_000));
      cases.put("another route", real.sign(mallory("echo", "GET", "/me/1"), now));
      cases.put("another resource", real.sign(mallory("me", "GET", "/me/2"), now));
      cases.put("another method", real.sign(mallory("me", "POST", "/me/1"), now));
      for (Map.Entry<String, String> c : cases.entrySet()) {
        Map<String, String> headers =
            c.getValue() == null ? Map.of() : Map.of("X-Sluice-Assertion", c.getValue());
        TestResponse r = direct.send(HttpMethod.GET, "/me/1", headers, null);
        assertThat(r.status()).as(c.getKey()).isEqualTo(401);
        assertThat(r.header("Content-Type")).isEqualTo("application/problem+json");
        assertThat(r.json().getString("type")).endsWith("edge-assertion-required");
        assertThat(r.header("WWW-Authenticate")).startsWith("SluiceAssertion");
      }
      assertThat(direct.get("/no/such/route").status())
          .as("not even a 404 without the edge")
          .isEqualTo(401);
      assertThat(lambda.invocations("echo"))
          .as("nothing reached the function")
          .hasSize(invocations);

      // The same request with the assertion an edge makes for it is served: the refusals above
      // were about the assertion alone.
      TestResponse good =
          direct.send(
              HttpMethod.GET,
              "/me/1",
              Map.of("X-Sluice-Assertion", real.sign(mallory("me", "GET", "/me/1"), now)),
              null);
      assertThat(good.status()).isEqualTo(200);
      assertThat(direct.get("/.sluice/health").status())
          .as("the edges' health check needs no assertion")
          .isEqualTo(200);
    }
  }

  @Test
  @Order(4)
  void whenThePreferredCoreDiesRequestsFailOverWithoutErrorsAndComeBackWhenItReturns()
      throws Exception {
    AtomicBoolean running = new AtomicBoolean(true);
    List<String> seen = Collections.synchronizedList(new ArrayList<>());
    List<String> failures = Collections.synchronizedList(new ArrayList<>());
    ExecutorService clients = Executors.newFixedThreadPool(8);
    List<Future<?>> loops = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      int id = t;
      loops.add(
          clients.submit(
              () -> {
                int i = 0;
                while (running.get()) {
                  String method = (i++ % 2 == 0) ? "GET" : "PUT";
                  TestResponse r =
                      client.send(
                          HttpMethod.valueOf(method), "/echo/" + id + "/" + i, Map.of(), null);
                  if (r.status() != 200) {
                    failures.add(method + " " + r.status() + " " + r.body());
                  } else {
                    String region = r.header("X-Core-Region");
                    if (seen.isEmpty() || !seen.get(seen.size() - 1).equals(region)) {
                      seen.add(region);
                    }
                  }
                }
                return null;
              }));
    }
    Thread.sleep(500);
    int servedByA = echoA.requestCount();
    coreA.kill();
    awaitRegion(seen, "b");
    Thread.sleep(500);
    int servedByB = echoB.requestCount();
    coreA.start();
    coreA.awaitReady();
    awaitRegion(seen, "a");
    Thread.sleep(300);
    running.set(false);
    for (Future<?> f : loops) {
      f.get(30, TimeUnit.SECONDS);
    }
    clients.shutdown();

    assertThat(failures).as("no client errors for idempotent requests").isEmpty();
    assertThat(seen).as("a, then b while a was down, then a again").startsWith("a", "b");
    assertThat(seen.get(seen.size() - 1)).isEqualTo("a");
    assertThat(servedByA).isPositive();
    assertThat(servedByB).isPositive();

    // Nothing was sent to a dead region: a POST (not idempotent) fails over on a connect error.
    coreA.kill();
    TestResponse post = client.send(HttpMethod.POST, "/echo/order", Map.of(), "{}");
    assertThat(post.status()).isEqualTo(200);
    assertThat(post.header("X-Core-Region")).isEqualTo("b");
    coreA.start();
    coreA.awaitReady();
  }

  private static void awaitRegion(List<String> seen, String region) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (System.nanoTime() < deadline) {
      synchronized (seen) {
        if (!seen.isEmpty() && seen.get(seen.size() - 1).equals(region)) {
          return;
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError("requests never went to region " + region + ": " + seen);
  }
}
