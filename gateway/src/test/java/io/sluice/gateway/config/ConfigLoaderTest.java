package io.sluice.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.gateway.config.SluiceConfig.Balance;
import io.sluice.gateway.config.SluiceConfig.HttpBackend;
import io.sluice.gateway.config.SluiceConfig.MockBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  @TempDir Path dir;

  private SluiceConfig load(String yaml) throws ConfigException {
    return load(yaml, Map.of());
  }

  private SluiceConfig load(String yaml, Map<String, String> env) throws ConfigException {
    return new ConfigLoader(env::get).load("routes.yaml", dir, yaml);
  }

  private List<String> errors(String yaml) {
    return errors(yaml, Map.of());
  }

  private List<String> errors(String yaml, Map<String, String> env) {
    try {
      load(yaml, env);
    } catch (ConfigException e) {
      return e.errors().stream().map(ConfigError::toString).toList();
    }
    throw new AssertionError("expected the file to be refused");
  }

  @Test
  void listenersFromTheCommandLineTakeThePlaceOfTheFilesAndKeepTheToken() throws Exception {
    String yaml =
        """
        gateway:
          listen: { host: 127.0.0.1, port: 1000 }
          admin: { port: 1001, token: "0123456789abcdef-token" }
        backends:
          b: { type: mock }
        routes:
          - { id: r, match: { path: / }, backend: b }
        """;
    SluiceConfig c =
        new ConfigLoader(Map.<String, String>of()::get)
            .withListeners(
                SluiceConfig.Listener.parse("8080", "0.0.0.0"),
                SluiceConfig.Listener.parse("[::]:9901", "127.0.0.1"))
            .load("routes.yaml", dir, yaml);
    assertThat(c.gateway().listen()).isEqualTo(new SluiceConfig.Listener("0.0.0.0", 8080));
    assertThat(c.gateway().admin()).isEqualTo(new SluiceConfig.Listener("::", 9901));
    assertThat(c.gateway().adminToken().value()).isEqualTo("0123456789abcdef-token");
    SluiceConfig onlyAdmin =
        new ConfigLoader(Map.<String, String>of()::get)
            .withListeners(null, SluiceConfig.Listener.parse("0.0.0.0:9902", "127.0.0.1"))
            .load("routes.yaml", dir, yaml);
    assertThat(onlyAdmin.gateway().listen())
        .isEqualTo(new SluiceConfig.Listener("127.0.0.1", 1000));
    assertThat(onlyAdmin.gateway().admin().port()).isEqualTo(9902);
    for (String bad : List.of("", "host:", ":80", "h:http", "h:70000", "::1:80", "[::1]")) {
      assertThatThrownBy(() -> SluiceConfig.Listener.parse(bad, "0.0.0.0"))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("expected HOST:PORT");
    }
  }

  @Test
  void appliesDocumentedDefaults() throws Exception {
    SluiceConfig c =
        load(
            """
            backends:
              b: { type: http, targets: [ "http://127.0.0.1:9000" ] }
            routes:
              - { id: r, match: { path: / }, backend: b }
            """);
    assertThat(c.gateway().listen().port()).isEqualTo(8080);
    assertThat(c.gateway().listen().host()).isEqualTo("0.0.0.0");
    assertThat(c.gateway().admin().port()).isEqualTo(9901);
    assertThat(c.gateway().admin().host()).isEqualTo("127.0.0.1");
    assertThat(c.gateway().limits().maxBodySize()).isEqualTo(10L << 20);
    assertThat(c.gateway().limits().maxHeaderSize()).isEqualTo(16 << 10);
    assertThat(c.gateway().limits().maxRequestLine()).isEqualTo(8 << 10);
    assertThat(c.gateway().limits().headerTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.gateway().limits().idleTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(c.gateway().limits().maxConnections()).isEqualTo(10_000);
    assertThat(c.gateway().drainTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.gateway().accessLog()).isTrue();
    HttpBackend b = (HttpBackend) c.backends().get("b");
    assertThat(b.balance()).isEqualTo(Balance.ROUND_ROBIN);
    assertThat(b.timeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(b.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(b.hostHeader()).isNull();
    assertThat(b.maxConnections()).isEqualTo(64);
  }

  @Test
  void parsesDurationsSizesAndTargetsOnce() throws Exception {
    SluiceConfig c =
        load(
            """
            gateway:
              limits: { maxBodySize: 64KiB, requestTimeout: 250ms, maxHeaderSize: 2048 }
            backends:
              b:
                type: http
                targets: [ "http://10.0.0.1:9000/base/", "http://[::1]:81" ]
                balance: least-requests
                host: target
              m: { type: mock, status: 201, headers: { x-a: 1 }, body: hi }
            routes:
              - { id: r, match: { path: "/a/{id}", methods: [ GET, POST ], hosts: [ API.example.com ] }, backend: b }
            """);
    assertThat(c.gateway().limits().maxBodySize()).isEqualTo(64 * 1024);
    assertThat(c.gateway().limits().maxHeaderSize()).isEqualTo(2048);
    HttpBackend b = (HttpBackend) c.backends().get("b");
    assertThat(b.timeout()).isEqualTo(Duration.ofMillis(250));
    assertThat(b.targets().get(0).basePath()).isEqualTo("/base");
    assertThat(b.targets().get(1).host()).isEqualTo("::1");
    assertThat(b.hostHeader()).isEmpty();
    MockBackend m = (MockBackend) c.backends().get("m");
    assertThat(m.headers().get(0).value()).isEqualTo("1");
    assertThat(c.routes().get(0).hosts()).containsExactly("api.example.com");
  }

  @Test
  void backendGuardsHaveDefaultsAndAConcurrencyLimitNeedsItsMax() throws ConfigException {
    SluiceConfig c =
        load(
            """
            backends:
              b:
                type: http
                targets: [ "http://127.0.0.1:9000" ]
                circuitBreaker: { maxFailures: 2 }
                concurrency: { max: 10, queue: 5 }
              plain: { type: http, targets: [ "http://127.0.0.1:9001" ] }
            routes:
              - { id: r, match: { path: /a }, backend: b }
            """);
    HttpBackend b = (HttpBackend) c.backends().get("b");
    assertThat(b.circuitBreaker())
        .isEqualTo(
            new SluiceConfig.CircuitBreaker(2, Duration.ofSeconds(10), Duration.ofSeconds(15)));
    assertThat(b.concurrency())
        .isEqualTo(new SluiceConfig.Concurrency(10, 5, Duration.ofMillis(100)));
    HttpBackend plain = (HttpBackend) c.backends().get("plain");
    assertThat(plain.circuitBreaker()).isNull();
    assertThat(plain.concurrency()).isNull();
    assertThat(
            errors(
                """
                backends:
                  b: { type: http, targets: [ "http://h:1" ], concurrency: { queue: 5 }, circuitBreaker: { maxFailures: 0 } }
                routes:
                  - { id: r, match: { path: /a }, backend: b }
                """))
        .containsExactlyInAnyOrder(
            "routes.yaml:2:60 backends.b.concurrency: missing required key 'max'",
            "routes.yaml:2:105 backends.b.circuitBreaker.maxFailures: must have a minimum value of 1");
  }

  @Test
  void retriesOutliersHealthChecksAndSheddingHaveDefaultsAndConsistentValues()
      throws ConfigException {
    SluiceConfig c =
        load(
            """
            gateway:
              loadShedding: { adaptive: true }
            backends:
              b:
                type: http
                targets: [ "http://127.0.0.1:9000", "http://127.0.0.1:9001" ]
                retry: {}
                outlier: {}
                healthCheck: { path: /health }
            routes:
              - { id: r, match: { path: /a }, backend: b }
            """);
    HttpBackend b = (HttpBackend) c.backends().get("b");
    assertThat(b.retry())
        .isEqualTo(
            new SluiceConfig.Retry(2, 0.2, 10, Duration.ofMillis(25), Duration.ofSeconds(1)));
    assertThat(b.outlier()).isEqualTo(new SluiceConfig.Outlier(5, Duration.ofSeconds(30)));
    assertThat(b.healthCheck())
        .isEqualTo(
            new SluiceConfig.HealthCheck(
                "/health", Duration.ofSeconds(5), Duration.ofSeconds(1), 2, 1));
    assertThat(c.gateway().loadShedding()).isEqualTo(new SluiceConfig.LoadShedding(200, 20, 2000));
    assertThat(
            errors(
                """
                backends:
                  b:
                    type: http
                    targets: [ "http://h:1" ]
                    retry: { attempts: 0, budget: 1.5 }
                    healthCheck: { path: health }
                routes:
                  - { id: r, match: { path: /a }, backend: b }
                """))
        .containsExactlyInAnyOrder(
            "routes.yaml:5:24 backends.b.retry.attempts: must have a minimum value of 1",
            "routes.yaml:5:35 backends.b.retry.budget: must have a maximum value of 1",
            "routes.yaml:6:26 backends.b.healthCheck.path: expected a path starting with /, such as /health");
    // Values each valid alone but not together: all reported, with their places.
    assertThat(
            errors(
                """
                gateway:
                  loadShedding: { adaptive: true, minLimit: 50, maxLimit: 10 }
                backends:
                  b:
                    type: http
                    targets: [ "http://h:1" ]
                    retry: { backoff: 2s, maxBackoff: 1s }
                    healthCheck: { path: /health, every: 1s, timeout: 2s }
                routes:
                  - { id: r, match: { path: /a }, backend: b }
                """))
        .containsExactlyInAnyOrder(
            "routes.yaml:2:45 gateway.loadShedding.minLimit: minLimit is above maxLimit",
            "routes.yaml:7:23 backends.b.retry.backoff: backoff is longer than maxBackoff",
            "routes.yaml:8:55 backends.b.healthCheck.timeout: timeout is longer than the interval (every)");
    assertThat(
            load("""
                    gateway:
                      loadShedding: { adaptive: false }
                    backends: { m: { type: mock } }
                    routes: [ { id: r, match: { path: /a }, backend: m } ]
                    """)
                .gateway()
                .loadShedding())
        .isNull();
  }

  @Test
  void lambdaBackendsHaveDefaultsAndTheirValuesAreChecked() throws ConfigException {
    SluiceConfig c =
        load(
            """
            backends:
              f: { type: lambda, function: "orders:live", region: eu-west-1 }
              g:
                type: lambda
                function: arn:aws:lambda:eu-west-1:123456789012:function:orders
                region: eu-west-1
                endpoint: http://127.0.0.1:9001
                payload: v1
                invocation: async
                timeout: 3s
                retry: { attempts: 5 }
                concurrency: { max: 100, queue: 50, queueTimeout: 200ms }
            routes:
              - { id: r, match: { path: /a }, backend: f }
              - { id: s, match: { path: /b }, backend: g }
            """);
    SluiceConfig.LambdaBackend f = (SluiceConfig.LambdaBackend) c.backends().get("f");
    assertThat(f.function()).isEqualTo("orders:live");
    assertThat(f.endpoint()).isNull();
    assertThat(f.payloadV1()).isFalse();
    assertThat(f.async()).isFalse();
    assertThat(f.timeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(f.retry().attempts()).as("throttles are retried by default").isEqualTo(3);
    SluiceConfig.LambdaBackend g = (SluiceConfig.LambdaBackend) c.backends().get("g");
    assertThat(g.endpoint()).hasToString("http://127.0.0.1:9001");
    assertThat(g.payloadV1()).isTrue();
    assertThat(g.async()).isTrue();
    assertThat(g.retry().attempts()).isEqualTo(5);
    assertThat(g.concurrency().max()).isEqualTo(100);
    assertThat(
            errors(
                """
                backends:
                  f: { type: lambda, function: "orders handler", region: europe, payload: v3 }
                routes:
                  - { id: r, match: { path: /a }, backend: f }
                """))
        .containsExactlyInAnyOrder(
            "routes.yaml:2:32 backends.f.function: expected a function name, ARN or name:qualifier, such as orders-handler:live",
            "routes.yaml:2:58 backends.f.region: expected an AWS region such as eu-west-1",
            "routes.yaml:2:75 backends.f.payload: expected one of [\"v2\", \"v1\"]");
    assertThat(
            errors(
                """
                backends:
                  g: { type: lambda, function: x, region: eu-west-1, endpoint: "ftp://x" }
                routes:
                  - { id: s, match: { path: /b }, backend: g }
                """))
        .containsExactly(
            "routes.yaml:2:64 backends.g.endpoint: expected an http:// or https:// URL, such as http://127.0.0.1:9001");
  }

  @Test
  void azureFunctionBackendsTakeTheirUrlApartAndCheckItsVariablesAgainstTheRoutes()
      throws ConfigException {
    SluiceConfig c =
        load(
            """
            backends:
              f:
                type: azure-function
                url: https://reports-app.azurewebsites.net/api/orders/{id}?tenant=eu
                key: s3cret-key
              g: { type: azure-function, url: "http://127.0.0.1:7071/api/generate", timeout: 300s }
            routes:
              - { id: r, match: { path: "/orders/{id}" }, backend: f }
              - { id: s, match: { path: /reports }, backend: g }
            """);
    SluiceConfig.AzureFunctionBackend f = (SluiceConfig.AzureFunctionBackend) c.backends().get("f");
    assertThat(f.https()).isTrue();
    assertThat(f.host()).isEqualTo("reports-app.azurewebsites.net");
    assertThat(f.port()).isEqualTo(443);
    assertThat(f.path()).isEqualTo("/api/orders/{id}");
    assertThat(f.query()).isEqualTo("tenant=eu");
    assertThat(f.key()).isEqualTo("s3cret-key");
    assertThat(f.toString()).doesNotContain("s3cret-key");
    assertThat(f.timeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(f.retry().attempts()).isEqualTo(3);
    SluiceConfig.AzureFunctionBackend g = (SluiceConfig.AzureFunctionBackend) c.backends().get("g");
    assertThat(g.https()).isFalse();
    assertThat(g.port()).isEqualTo(7071);
    assertThat(g.key()).isNull();
    assertThat(c.warnings())
        .extracting(Object::toString)
        .containsExactly(
            "routes.yaml:6:82 backends.g.timeout: Azure cuts HTTP-triggered functions off after"
                + " 230 s (its load balancer's idle timeout); a longer timeout (300 s) never helps:"
                + " use a durable function or a queue for longer work");
    assertThat(
            errors(
                """
                backends:
                  f: { type: azure-function, url: "https://app.example/api/orders/{id}/{line}" }
                  g: { type: azure-function, url: "https://app.example/api/**" }
                  h: { type: azure-function, url: "ftp://app.example/api" }
                routes:
                  - { id: r, match: { path: "/orders/{id}" }, backend: f }
                  - { id: s, match: { path: /s }, backend: g }
                """))
        .containsExactlyInAnyOrder(
            "routes.yaml:4:35 backends.h.url: expected an http:// or https:// URL such as"
                + " https://reports-app.azurewebsites.net/api/orders/{id}");
    assertThat(
            errors(
                """
                backends:
                  f: { type: azure-function, url: "https://app.example/api/orders/{id}/{line}" }
                  g: { type: azure-function, url: "https://app.example/api/**" }
                routes:
                  - { id: r, match: { path: "/orders/{id}" }, backend: f }
                  - { id: s, match: { path: /s }, backend: g }
                """))
        .containsExactlyInAnyOrder(
            "routes.yaml:3:35 backends.g.url: the URL's path: '**' is for routes, not a function's URL",
            "routes.yaml:5:56 routes[0].backend: backend 'f' needs the path variable {line}, which"
                + " this route's path /orders/{id} does not have");
  }

  @Test
  void theAdminTokenIsASecretAndTooShortOneIsRefusedWithoutShowingIt() throws ConfigException {
    String yaml =
        """
        gateway:
          admin: { port: 9901, token: "${env:T}" }
        backends:
          b: { type: mock }
        routes:
          - { id: r, match: { path: /a }, backend: b }
        """;
    SluiceConfig c = load(yaml, Map.of("T", "a-long-enough-admin-token"));
    assertThat(c.gateway().adminToken().value()).isEqualTo("a-long-enough-admin-token");
    assertThat(c.gateway().toString()).doesNotContain("a-long-enough-admin-token");
    assertThat(load(yaml, Map.of("T", "")).gateway().adminToken()).isNull();
    assertThat(errors(yaml, Map.of("T", "short-secret")))
        .singleElement()
        .asString()
        .contains("gateway.admin.token")
        .doesNotContain("short-secret");
  }

  @Test
  void keepWarmPingsAndColdStartSamplingAreCheckedWhole() throws ConfigException {
    SluiceConfig c =
        load(
            """
            backends:
              f:
                type: lambda
                function: orders
                region: eu-west-1
                warm: { every: 4m, instances: 3 }
                coldStarts: { sample: 0.05 }
              g: { type: lambda, function: orders, region: eu-west-1, warm: {} }
            routes:
              - { id: r, match: { path: /a }, backend: f }
              - { id: s, match: { path: /b }, backend: g }
            """);
    SluiceConfig.LambdaBackend f = (SluiceConfig.LambdaBackend) c.backends().get("f");
    assertThat(f.warm()).isEqualTo(new SluiceConfig.Warm(Duration.ofMinutes(4), 3));
    assertThat(f.coldStartSample()).isEqualTo(0.05);
    SluiceConfig.LambdaBackend g = (SluiceConfig.LambdaBackend) c.backends().get("g");
    assertThat(g.warm()).isEqualTo(new SluiceConfig.Warm(Duration.ofMinutes(5), 1));
    assertThat(g.coldStartSample()).isZero();
    assertThat(
            errors(
                """
                backends:
                  f:
                    type: lambda
                    function: orders
                    region: eu-west-1
                    warm: { every: 1m, instances: 0 }
                  g: { type: lambda, function: orders, region: eu-west-1, coldStarts: { sample: 2 } }
                routes:
                  - { id: r, match: { path: /a }, backend: f }
                  - { id: s, match: { path: /b }, backend: g }
                """))
        .containsExactlyInAnyOrder(
            "routes.yaml:6:35 backends.f.warm.instances: must have a minimum value of 1",
            "routes.yaml:7:81 backends.g.coldStarts.sample: must have a maximum value of 1");
    assertThat(
            errors(
                """
                backends:
                  f:
                    type: lambda
                    function: orders
                    region: eu-west-1
                    invocation: async
                    warm: { every: 500ms }
                    coldStarts: { sample: 0.1 }
                routes:
                  - { id: r, match: { path: /a }, backend: f }
                """))
        .containsExactlyInAnyOrder(
            "routes.yaml:7:20 backends.f.warm.every: keep-warm pings at most once a second",
            "routes.yaml:8:17 backends.f.coldStarts: cold starts can only be sampled with invocation: sync (Lambda returns no log tail for an Event invocation)");
  }

  @Test
  void reportsEveryErrorAtOnceWithLineColumnAndPath() {
    List<String> e =
        errors(
            """
            gateway:
              listen: { port: 70000 }
              limits: { maxBodySize: 10 MB, headerTimeout: soon }
            backends:
              b: { type: http, targets: [ "ftp://x" ], balnce: random }
              m: { type: carrier-pigeon }
            routes:
              - { id: r, match: { path: x }, backend: b, extra: 1 }
              - { match: { path: /y }, backend: b }
            """);
    assertThat(e)
        .contains(
            "routes.yaml:2:19 gateway.listen.port: must have a maximum value of 65535",
            "routes.yaml:3:26 gateway.limits.maxBodySize: expected a size such as 512KiB or 10MiB",
            "routes.yaml:3:48 gateway.limits.headerTimeout: expected a duration such as 250ms, 5s, 1m or 24h",
            "routes.yaml:5:31 backends.b.targets[0]: expected an http:// URL such as http://127.0.0.1:9000",
            "routes.yaml:5:44 backends.b.balnce: unknown key 'balnce' (expected one of: balance, circuitBreaker, concurrency, connectTimeout, healthCheck, host, maxConnections, outlier, retry, targets, timeout, type)",
            "routes.yaml:6:14 backends.m.type: expected one of [\"http\", \"lambda\", \"azure-function\", \"mock\"]",
            "routes.yaml:8:29 routes[0].match.path: must start with '/'",
            "routes.yaml:8:46 routes[0].extra: unknown key 'extra' (expected one of: backend, id, match, policies)",
            "routes.yaml:9:5 routes[1]: missing required key 'id'");
    assertThat(e).isSorted();
  }

  @Test
  void checksReferencesOverlapsAndTemplates() {
    List<String> e =
        errors(
            """
            backends:
              b: { type: mock }
            routes:
              - { id: a, match: { path: "/o/{id}", methods: [ GET ] }, backend: b }
              - { id: a, match: { path: "/o/{other}", methods: [ GET, PUT ] }, backend: missing }
              - { id: c, match: { path: "/p/{x}/{x}" }, backend: b }
              - { id: d, match: { path: "/q/**/r" }, backend: b }
              - { id: e, match: { path: "/s/a{b}" }, backend: b }
            """);
    assertThat(e)
        .contains(
            "routes.yaml:5:11 routes[1].id: duplicate route id 'a' (also routes[0])",
            "routes.yaml:5:29 routes[1].match.path: overlaps route 'a' (same host, path and method GET)",
            "routes.yaml:5:77 routes[1].backend: no backend named 'missing' (known: b)",
            "routes.yaml:6:29 routes[2].match.path: variable 'x' appears twice",
            "routes.yaml:7:29 routes[3].match.path: '**' may only be the last segment",
            "routes.yaml:8:29 routes[4].match.path: 'a{b}': a variable must be a whole segment ({id}) and '**' a whole last segment");
  }

  @Test
  void sameRouteOnDifferentHostsOrMethodsIsNoOverlap() throws Exception {
    load(
        """
        backends:
          b: { type: mock }
        routes:
          - { id: a, match: { path: /x, hosts: [ a.example.com ] }, backend: b }
          - { id: b, match: { path: /x, hosts: [ b.example.com ] }, backend: b }
          - { id: c, match: { path: /x, methods: [ GET ] }, backend: b }
          - { id: d, match: { path: /x, methods: [ POST ] }, backend: b }
        """);
  }

  @Test
  void refusesDuplicateKeysAndBadYaml() {
    assertThat(
            errors(
                """
                backends:
                  b: { type: mock }
                  b: { type: mock }
                routes: []
                """))
        .containsExactly("routes.yaml:3:3 backends.b: duplicate key 'b' (first at line 2)");
    assertThat(errors("routes: [ {"))
        .hasSize(1)
        .first()
        .asString()
        .startsWith("routes.yaml:1:")
        .contains("invalid YAML");
    assertThat(errors("")).containsExactly("routes.yaml the file is empty");
    assertThat(errors("a: 1\n---\nb: 2\n")).first().asString().contains("one YAML document");
  }

  @Test
  void yamlOneTwoKeepsNorwayAStringAndUnknownKeysAreErrors() throws Exception {
    SluiceConfig c =
        load(
            """
            backends:
              no: { type: mock, body: NO }
            routes:
              - { id: r, match: { path: /x }, backend: no }
            """);
    assertThat(((MockBackend) c.backends().get("no")).body()).isEqualTo("NO");
  }

  @Test
  void substitutesEnvironmentVariablesWithDefaultsAndTypes() throws Exception {
    SluiceConfig c =
        load(
            """
            gateway:
              listen: { port: ${env:PORT:-8181} }
              admin: { port: ${env:ADMIN_PORT} }
            backends:
              b: { type: http, targets: [ "http://${env:BACKEND_HOST}:9000" ] }
            routes:
              - { id: r, match: { path: /x }, backend: b }
            """,
            Map.of("ADMIN_PORT", "9999", "BACKEND_HOST", "svc.local"));
    assertThat(c.gateway().listen().port()).isEqualTo(8181);
    assertThat(c.gateway().admin().port()).isEqualTo(9999);
    assertThat(((HttpBackend) c.backends().get("b")).targets().get(0).host())
        .isEqualTo("svc.local");
  }

  @Test
  void substitutesFilesRelativeToTheRouteFileWithoutTheTrailingNewline() throws Exception {
    Files.writeString(dir.resolve("body.txt"), "from a file\n");
    SluiceConfig c =
        load(
            """
            backends:
              m: { type: mock, body: "${file:body.txt}" }
            routes:
              - { id: r, match: { path: /x }, backend: m }
            """);
    assertThat(((MockBackend) c.backends().get("m")).body()).isEqualTo("from a file");
  }

  @Test
  void escapedPlaceholderStaysLiteral() throws Exception {
    SluiceConfig c =
        load(
            """
            backends:
              m: { type: mock, body: "$${env:NOT_ME}" }
            routes:
              - { id: r, match: { path: /x }, backend: m }
            """);
    assertThat(((MockBackend) c.backends().get("m")).body()).isEqualTo("${env:NOT_ME}");
  }

  @Test
  void missingVariablesAndFilesAreErrorsThatNeverShowValues() {
    List<String> e =
        errors(
            """
            gateway:
              listen: { port: ${env:SECRET_PORT} }
            backends:
              m: { type: mock, body: "${env:MISSING}${file:nope.txt}" }
              n: { type: mock, body: "${oops}" }
            routes:
              - { id: r, match: { path: /x }, backend: m }
            """,
            Map.of("SECRET_PORT", "hunter2"));
    String all = String.join("\n", e);
    assertThat(all)
        .contains("routes.yaml:4:26 backends.m.body: environment variable MISSING is not set")
        .contains("does not exist")
        .contains("routes.yaml:5:26 backends.n.body: malformed placeholder")
        .doesNotContain("hunter2");
  }

  @Test
  void substitutedValueInTheWrongFormIsReportedWithoutItsValue() {
    List<String> e =
        errors(
            """
            gateway:
              listen: { port: ${env:SECRET_PORT} }
            routes: []
            """,
            Map.of("SECRET_PORT", "hunter2"));
    assertThat(String.join("\n", e)).contains("gateway.listen.port").doesNotContain("hunter2");
  }

  @Test
  void readsFromDiskAndNamesAMissingFile() {
    assertThatThrownBy(() -> new ConfigLoader().load(dir.resolve("none.yaml")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("1 error")
        .satisfies(
            t ->
                assertThat(((ConfigException) t).describe())
                    .endsWith("none.yaml the file does not exist"));
  }

  @Test
  void aliasBombIsRefused() {
    String bomb =
        """
        a: &a ["x","x","x","x","x","x","x","x","x"]
        b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
        c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
        d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
        e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
        f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
        g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
        routes: []
        """;
    assertThat(errors(bomb)).hasSize(1).first().asString().contains("invalid YAML");
  }

  @Test
  void unknownPolicyIsAnErrorThatListsTheKnownOnes() {
    List<String> e =
        errors(
            """
            backends:
              b: { type: mock }
            policies:
              - corz: { origins: [ "*" ] }
            routes:
              - id: r
                match: { path: /x }
                backend: b
                policies:
                  - headerz: {}
            """);
    assertThat(e)
        .containsExactly(
            "routes.yaml:4:5 policies[0].corz: unknown policy 'corz' (known: api-key, cache, cors, headers, idempotency, ip-filter, jwt, rate-limit, request-size, validate)",
            "routes.yaml:10:9 routes[0].policies[0].headerz: unknown policy 'headerz' (known: api-key, cache, cors, headers, idempotency, ip-filter, jwt, rate-limit, request-size, validate)");
  }

  @Test
  void eachPolicyConfigIsCheckedAgainstItsOwnSchemaWithPositions() {
    List<String> e =
        errors(
            """
            backends:
              b: { type: mock }
            routes:
              - id: r
                match: { path: /x }
                backend: b
                policies:
                  - cors: { origins: [ "app.example.com" ], maxAge: soon }
                  - request-size: { maximum: 1MiB }
                  - ip-filter: { allow: [ "10.0.0.0/8" ], blocked: [] }
            """);
    assertThat(e)
        .contains(
            "routes.yaml:8:28 routes[0].policies[0].cors.origins[0]: expected an origin such as https://app.example.com, or *",
            "routes.yaml:8:57 routes[0].policies[0].cors.maxAge: expected a duration such as 10m",
            "routes.yaml:9:23 routes[0].policies[1].request-size: missing required key 'max'",
            "routes.yaml:9:25 routes[0].policies[1].request-size.maximum: unknown key 'maximum' (expected one of: max)",
            "routes.yaml:10:47 routes[0].policies[2].ip-filter.blocked: unknown key 'blocked' (expected one of: allow, deny)");
  }

  @Test
  void aPolicyListItemHoldsExactlyOnePolicy() {
    List<String> e =
        errors(
            """
            backends:
              b: { type: mock }
            routes:
              - id: r
                match: { path: /x }
                backend: b
                policies:
                  - { cors: { origins: [ "*" ] }, headers: {} }
            """);
    assertThat(String.join("\n", e)).contains("expected one policy per list item");
  }

  private static final String TIERS =
      """
      gateway:
        role: ${env:ROLE}
        region: eu-west-1
        trust: { key: "${env:KEY:-}", privateKey: "${env:PRIV:-}", publicKey: "${env:PUB:-}" }
        edge:
          core:
            - { region: eu-west-1, url: "http://core-eu.internal:8443" }
            - { region: us-east-1, url: "http://core-us.internal:8443/" }
          timeout: 20s
          failover: { consecutiveFailures: 2, ejectFor: 5s, budget: 0.5 }
      backends:
        b: { type: mock }
      policies:
        - cors: { origins: [ "*" ] }
      routes:
        - id: r
          match: { path: /x }
          backend: b
          policies:
            - rate-limit: { limits: [ { requests: 1, per: 1s } ] }
              at: core
            - request-size: { max: 1KiB }
              at: edge
      """;

  private static final String SECRET = "0123456789abcdef0123456789abcdef-tier";

  @Test
  void edgeAndCoreLoadTheSameFile() throws Exception {
    SluiceConfig edge = load(TIERS, Map.of("ROLE", "edge", "KEY", SECRET));
    SluiceConfig.Tier t = edge.gateway().tier();
    assertThat(t.role()).isEqualTo(SluiceConfig.Role.EDGE);
    assertThat(t.region()).isEqualTo("eu-west-1");
    assertThat(t.trust().secret().getEncoded()).isEqualTo(SECRET.getBytes());
    assertThat(t.trust().ttl()).isEqualTo(Duration.ofSeconds(30));
    assertThat(t.trust().toString()).doesNotContain(SECRET).contains("HS256");
    assertThat(t.edge().regions())
        .extracting(SluiceConfig.CoreRegion::region)
        .containsExactly("eu-west-1", "us-east-1");
    HttpBackend core = t.edge().backend();
    assertThat(core.balance()).isEqualTo(Balance.FAILOVER);
    assertThat(core.targets())
        .extracting(Object::toString)
        .containsExactly("http://core-eu.internal:8443", "http://core-us.internal:8443");
    assertThat(core.timeout()).isEqualTo(Duration.ofSeconds(20));
    assertThat(core.hostHeader()).as("the client's Host reaches the core").isNull();
    assertThat(core.retry().attempts()).isEqualTo(2);
    assertThat(core.retry().budget()).isEqualTo(0.5);
    assertThat(core.outlier()).isEqualTo(new SluiceConfig.Outlier(2, Duration.ofSeconds(5)));
    assertThat(core.healthCheck().path()).isEqualTo(ConfigLoader.HEALTH_PATH);
    assertThat(edge.routes().get(0).policies())
        .extracting(SluiceConfig.PolicySpec::name, SluiceConfig.PolicySpec::atCore)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("rate-limit", true),
            org.assertj.core.groups.Tuple.tuple("request-size", false));
    assertThat(edge.warnings()).isEmpty();

    SluiceConfig core2 = load(TIERS, Map.of("ROLE", "core", "KEY", SECRET));
    assertThat(core2.gateway().role()).isEqualTo(SluiceConfig.Role.CORE);
    assertThat(core2.gateway().tier().trust().secret()).isNotNull();
    assertThat(core2.warnings()).isEmpty();

    SluiceConfig standalone = load(TIERS, Map.of("ROLE", "standalone"));
    assertThat(standalone.gateway().tier().trust()).isNull();
    assertThat(standalone.warnings())
        .extracting(ConfigError::toString)
        .anyMatch(w -> w.contains("gateway.trust is not used with role: standalone"));
    String redacted = RedactedConfig.of(edge).encode();
    assertThat(redacted).doesNotContain(SECRET).contains("\"runsAt\":\"core\"");
  }

  @Test
  void ecKeysSignAtTheEdgeAndCheckAtTheCore() throws Exception {
    java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
    g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
    java.security.KeyPair pair = g.generateKeyPair();
    String priv = pem("PRIVATE KEY", pair.getPrivate().getEncoded());
    String pub = pem("PUBLIC KEY", pair.getPublic().getEncoded());
    SluiceConfig edge = load(TIERS, Map.of("ROLE", "edge", "PRIV", priv, "PUB", pub));
    assertThat(edge.gateway().tier().trust().privateKey()).isEqualTo(pair.getPrivate());
    SluiceConfig core = load(TIERS, Map.of("ROLE", "core", "PUB", pub));
    assertThat(core.gateway().tier().trust().publicKey()).isEqualTo(pair.getPublic());
    assertThat(RedactedConfig.of(core).encode()).doesNotContain(pub.substring(30, 60));

    java.security.KeyPairGenerator g384 = java.security.KeyPairGenerator.getInstance("EC");
    g384.initialize(new java.security.spec.ECGenParameterSpec("secp384r1"));
    String p384 = pem("PUBLIC KEY", g384.generateKeyPair().getPublic().getEncoded());
    assertThat(errors(TIERS, Map.of("ROLE", "core", "PUB", p384)))
        .containsExactly("routes.yaml:4:73 gateway.trust.publicKey: not an EC P-256 key");
    assertThat(errors(TIERS, Map.of("ROLE", "edge", "PRIV", "-----BEGIN PRIVATE KEY-----x")))
        .singleElement()
        .asString()
        .contains("gateway.trust.privateKey: expected an EC P-256 private key in PEM");
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + java.util.Base64.getMimeEncoder().encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  @Test
  void tiersNeedTheirKeysAndRegionsAndNoMessageShowsAKey() {
    assertThat(errors(TIERS, Map.of("ROLE", "edge", "KEY", "too-short-a-secret")))
        .containsExactly(
            "routes.yaml:4:17 gateway.trust.key: a shared secret of at least 32 bytes is needed"
                + " for HS256, this one has 18 (value not shown); make one with: openssl rand"
                + " -base64 48");
    assertThat(errors(TIERS, Map.of("ROLE", "core")))
        .containsExactly(
            "routes.yaml:4:10 gateway.trust: a core checks with key (a shared secret) or publicKey"
                + " (EC P-256): none set");
    List<String> e =
        errors(
            """
            gateway:
              role: edge
              edge:
                core:
                  - { region: a, url: "http://a:1" }
                  - { region: a, url: "https://b:1" }
            backends:
              b: { type: mock }
            routes:
              - id: r
                match: { path: /x }
                backend: b
                policies:
                  - { cors: {}, headers: {}, at: core }
            """);
    assertThat(e)
        .containsExactly(
            "routes.yaml:6:27 gateway.edge.core[1].url: expected http://host:port",
            "routes.yaml:14:9 routes[0].policies[0]: expected one policy (and at most an 'at')"
                + " per list item: start another with '-'");
    assertThat(
            errors(
                """
                gateway:
                  role: edge
                  edge: { core: [ { region: a, url: "http://a:1" } ] }
                backends:
                  b: { type: mock }
                routes:
                  - id: r
                    match: { path: /x }
                    backend: b
                    policies:
                      - { at: core }
                """))
        .containsExactly(
            "routes.yaml:2:3 gateway.role: role: edge needs gateway.trust: the key edges sign"
                + " their assertions with (key: ${env:SLUICE_TIER_KEY})",
            "routes.yaml:11:9 routes[0].policies[0]: expected a policy besides 'at', such as '-"
                + " rate-limit: {...}'");
    assertThat(
            errors(
                """
                gateway:
                  role: edge
                  trust: { key: "0123456789abcdef0123456789abcdef" }
                  edge: { core: [ { region: a, url: "http://a:1" }, { region: a, url: "http://b:1" } ] }
                routes: []
                """))
        .containsExactly(
            "routes.yaml:4:63 gateway.edge.core[1].region: region 'a' is already listed at 0");
    assertThat(
            errors(
                """
                gateway:
                  role: edge
                  trust: { key: "0123456789abcdef0123456789abcdef" }
                routes: []
                """))
        .containsExactly(
            "routes.yaml:2:3 gateway.role: role: edge needs gateway.edge.core: the core regions"
                + " to forward to");
  }

  @Test
  void aMissingPluginsDirectoryIsAnError() {
    List<String> e =
        errors(
            """
            gateway:
              plugins: { dir: ./no-such-plugins }
            routes: []
            """);
    assertThat(String.join("\n", e))
        .contains("routes.yaml:2:19 gateway.plugins.dir: plugins directory")
        .contains("does not exist");
  }
}
