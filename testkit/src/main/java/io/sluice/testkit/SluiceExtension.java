package io.sluice.testkit;

import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.sluice.gateway.config.ConfigException;
import io.sluice.gateway.config.ConfigLoader;
import io.sluice.gateway.config.SluiceConfig;
import io.sluice.gateway.config.SluiceConfig.Listener;
import io.sluice.gateway.telemetry.Telemetry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts a real Sluice from a route file written in the test, in front of real loopback backends,
 * and fails the test if an event-loop thread was reported blocked.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final SluiceExtension sluice =
 *     SluiceExtension.withConfig("""
 *         backends:
 *           orders: { type: http, targets: [ "${backend:orders}" ] }
 *         routes:
 *           - { id: orders, match: { path: "/orders/**" }, backend: orders }
 *         """)
 *         .backend("orders", TestBackend.echo())
 *         .build();
 *
 * @Test
 * void proxiesToTheBackend() {
 *   assertThat(sluice.client().get("/orders/1").status()).isEqualTo(200);
 * }
 * }</pre>
 *
 * <p>{@code ${backend:NAME}} in the YAML becomes that backend's URL. Listeners are moved to
 * 127.0.0.1 on ports the OS picks, whatever the YAML says. As a static field the gateway lives for
 * the class; as an instance field, for each test.
 */
public final class SluiceExtension
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {

  private final String yaml;
  private final Map<String, TestBackend> backends;
  private final Map<String, String> env;
  private final int instances;
  private final Path baseDir;
  private final LambdaEmulator lambda;
  private final java.time.Duration watch;

  private Vertx gatewayVertx;
  private Path routesDir;
  private Vertx tools;
  private io.sluice.gateway.server.Gateway gateway;
  private TestClient client;
  private TestClient admin;
  private BlockedThreadDetector detector;
  private InMemorySpanExporter spans = InMemorySpanExporter.create();
  private boolean perTest;

  private SluiceExtension(Builder b) {
    this.yaml = b.yaml;
    this.backends = Map.copyOf(b.backends);
    this.env = Map.copyOf(b.env);
    this.instances = b.instances;
    this.baseDir = b.baseDir;
    this.lambda = b.lambda;
    this.watch = b.watch;
  }

  /** Starts describing a gateway with this route file. */
  public static Builder withConfig(String yaml) {
    return new Builder(yaml);
  }

  /** Options for the gateway under test. */
  public static final class Builder {
    private final String yaml;
    private final Map<String, TestBackend> backends = new LinkedHashMap<>();
    private final Map<String, String> env = new HashMap<>();
    private int instances = 2;
    private Path baseDir = Path.of(".").toAbsolutePath();
    private LambdaEmulator lambda;
    private java.time.Duration watch;

    private Builder(String yaml) {
      this.yaml = yaml;
    }

    /** A loopback backend, started before the gateway, known in the YAML as ${backend:NAME}. */
    public Builder backend(String name, TestBackend backend) {
      backends.put(name, backend);
      return this;
    }

    /** An environment variable as ${env:NAME} sees it (the real environment is not consulted). */
    public Builder env(String name, String value) {
      env.put(name, value);
      return this;
    }

    /**
     * A Lambda Invoke API emulator, started before the gateway, known in the YAML as ${lambda}; the
     * gateway gets its test credentials (as the aws.accessKeyId and aws.secretAccessKey system
     * properties, the first source of the SDK's default chain).
     */
    public Builder lambda(LambdaEmulator emulator) {
      this.lambda = emulator;
      return this;
    }

    /** Event loops serving clients (default 2). */
    public Builder instances(int instances) {
      this.instances = instances;
      return this;
    }

    /** The directory relative paths in the route file resolve against. */
    public Builder baseDir(Path dir) {
      this.baseDir = dir;
      return this;
    }

    /**
     * Watches the route file the gateway was started from (see {@link #writeRoutes}) this often;
     * without it, the file reloads only through {@code POST /admin/reload}.
     */
    public Builder watch(java.time.Duration every) {
      this.watch = every;
      return this;
    }

    public SluiceExtension build() {
      return new SluiceExtension(this);
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    start();
  }

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    if (gateway == null) {
      perTest = true;
      start();
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    List<String> blocked = detector == null ? List.of() : detector.drain();
    if (perTest) {
      stop();
    }
    failIfBlocked(blocked);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    List<String> blocked = detector == null ? List.of() : detector.drain();
    stop();
    failIfBlocked(blocked);
  }

  private static void failIfBlocked(List<String> blocked) {
    if (!blocked.isEmpty()) {
      throw new AssertionError("an event-loop thread was blocked: " + blocked);
    }
  }

  private void start() throws ConfigException {
    detector = BlockedThreadDetector.install();
    tools = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    for (TestBackend b : backends.values()) {
      b.start(tools);
    }
    if (lambda != null) {
      lambda.start(tools);
      System.setProperty("aws.accessKeyId", LambdaEmulator.ACCESS_KEY);
      System.setProperty("aws.secretAccessKey", LambdaEmulator.SECRET_KEY);
    }
    String rendered = render(yaml);
    try {
      routesDir = java.nio.file.Files.createTempDirectory("sluice-routes");
      java.nio.file.Files.writeString(routesDir.resolve("routes.yaml"), rendered);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    io.sluice.gateway.config.ConfigSource source =
        io.sluice.gateway.config.ConfigSource.file(
            routesDir.resolve("routes.yaml"), baseDir, new ConfigLoader(env::get));
    SluiceConfig loaded = source.load(rendered);
    SluiceConfig config = onLoopback(loaded);
    gatewayVertx =
        Vertx.vertx(
            new VertxOptions()
                .setEventLoopPoolSize(instances)
                .setBlockedThreadCheckInterval(100)
                .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
                .setMaxEventLoopExecuteTime(1000)
                .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS));
    spans = InMemorySpanExporter.create(); // the last gateway's was shut down with it
    // Every span recorded and kept in memory, whatever OTEL_* says about sampling and export.
    Telemetry telemetry =
        Telemetry.configure(
            Map.of(
                "otel.traces.sampler", "parentbased_always_on",
                "otel.traces.exporter", "none",
                "otel.metrics.exporter", "none"),
            spans);
    gateway =
        Await.result(
            io.sluice.gateway.server.Gateway.start(gatewayVertx, config, instances, telemetry), 30);
    Await.result(gateway.reloadFrom(source, watch, rendered), 10);
    client = new TestClient("127.0.0.1", gateway.port());
    admin = new TestClient("127.0.0.1", gateway.adminPort());
  }

  /** The route file with ${backend:NAME} and ${lambda} replaced by the test servers' URLs. */
  private String render(String text) {
    for (Map.Entry<String, TestBackend> b : backends.entrySet()) {
      text = text.replace("${backend:" + b.getKey() + "}", b.getValue().url());
    }
    if (lambda != null) {
      text = text.replace("${lambda}", lambda.url());
    }
    return text;
  }

  /** The route file the gateway was started from (and reloads from). */
  public Path routesFile() {
    return routesDir.resolve("routes.yaml");
  }

  /**
   * Replaces the route file (rendered like the first one) in one atomic rename, as an editor or a
   * ConfigMap update would; the gateway sees it on reload or, when watching, by itself.
   */
  public void writeRoutes(String text) {
    try {
      Path tmp = routesDir.resolve(".routes.yaml.tmp");
      java.nio.file.Files.writeString(tmp, render(text));
      java.nio.file.Files.move(
          tmp,
          routesFile(),
          java.nio.file.StandardCopyOption.ATOMIC_MOVE,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static SluiceConfig onLoopback(SluiceConfig c) {
    return c.withListeners(new Listener("127.0.0.1", 0), new Listener("127.0.0.1", 0));
  }

  private void stop() {
    try {
      if (gateway != null) {
        Await.result(gateway.shutdown(), 60);
      }
    } finally {
      gateway = null;
      if (client != null) {
        client.close();
        admin.close();
      }
      backends.values().forEach(TestBackend::stop);
      if (lambda != null) {
        lambda.stop();
      }
      if (gatewayVertx != null) {
        Await.result(gatewayVertx.close(), 30);
      }
      if (tools != null) {
        Await.result(tools.close(), 30);
      }
      if (detector != null) {
        detector.uninstall();
      }
      deleteRoutesDir();
    }
  }

  /** A client for the gateway's listener. */
  public TestClient client() {
    return client;
  }

  /** A client for the admin listener. */
  public TestClient admin() {
    return admin;
  }

  public int port() {
    return gateway.port();
  }

  public int adminPort() {
    return gateway.adminPort();
  }

  /** The running gateway (to shut it down mid-test, read its config). */
  public io.sluice.gateway.server.Gateway gateway() {
    return gateway;
  }

  /** A backend registered with {@link Builder#backend}. */
  public TestBackend backend(String name) {
    TestBackend b = backends.get(name);
    if (b == null) {
      throw new IllegalArgumentException(
          "no backend '" + name + "' (known: " + backends.keySet() + ")");
    }
    return b;
  }

  /**
   * The spans the gateway has ended so far (every request is sampled in tests), oldest first. A
   * span ends when its response has been written, which may be a moment after the client has read
   * it: wait for the ones you expect.
   */
  public List<SpanData> spans() {
    return spans.getFinishedSpanItems();
  }

  /** The first ended span that matches, waiting up to 5 s for the gateway to end it. */
  public SpanData awaitSpan(Predicate<SpanData> p) {
    Await.until(() -> spans().stream().anyMatch(p), 5);
    return spans().stream().filter(p).findFirst().orElseThrow();
  }

  /** Forgets the spans ended so far. */
  public void clearSpans() {
    spans.reset();
  }

  /** The Vert.x the backends and clients run on (not the gateway's). */
  public Vertx tools() {
    return tools;
  }

  private void deleteRoutesDir() {
    if (routesDir == null) {
      return;
    }
    try (var files = java.nio.file.Files.walk(routesDir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (java.io.IOException e) {
      // a temp directory left behind
    }
    routesDir = null;
  }
}
