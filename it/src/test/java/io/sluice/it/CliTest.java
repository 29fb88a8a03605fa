package io.sluice.it;

import static io.sluice.it.support.SluiceProcess.freePort;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.sluice.it.support.SluiceProcess;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runnable jar, run as a user runs it. */
class CliTest {

  static final Path ROUTES = Path.of(System.getProperty("sluice.routes", "../routes"));

  @TempDir Path dir;

  record Result(int exit, String out, String err) {}

  private Result sluice(String... args) throws Exception {
    List<String> cmd =
        new ArrayList<>(List.of(SluiceProcess.java(), "-jar", SluiceProcess.JAR.toString()));
    cmd.addAll(List.of(args));
    Path out = dir.resolve("out.txt");
    Path err = dir.resolve("err.txt");
    Process p =
        new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  @Test
  void validateAcceptsTheDemoAndEveryExample() throws Exception {
    try (var files = Files.walk(ROUTES)) {
      for (Path f : files.filter(x -> x.toString().endsWith(".yaml")).toList()) {
        Result r = sluice("validate", "--config", f.toString());
        assertThat(r.exit()).as(f + ": " + r.err()).isZero();
        assertThat(r.out()).contains("OK");
      }
    }
  }

  @Test
  void validateReportsEveryErrorWithItsPlaceAndExitsOne() throws Exception {
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(
        bad,
        """
        gateway:
          listen: { prot: 8080 }
        backends:
          a: { type: mock }
        routes:
          - id: one
            match: { path: orders }
            backend: a
          - id: two
            match: { path: /x, methods: [ get ] }
            backend: nope
        """);
    Result r = sluice("validate", "--config", bad.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err())
        .contains(
            bad + ":2:13 gateway.listen.prot: unknown key 'prot' (expected one of: host, port)")
        .contains(bad + ":7:20 routes[0].match.path: must start with '/'")
        .contains(bad + ":10:35 routes[1].match.methods[0]: expected an upper-case method");
    // Reference errors come once the schema passes.
    Files.writeString(
        bad,
        """
        backends:
          a: { type: mock }
        routes:
          - { id: two, match: { path: /x }, backend: nope }
        """);
    Result refs = sluice("validate", "--config", bad.toString());
    assertThat(refs.exit()).isEqualTo(1);
    assertThat(refs.err()).contains(":4:46 routes[0].backend: no backend named 'nope' (known: a)");
  }

  @Test
  void validateMakesThePoliciesToo() throws Exception {
    Path file = dir.resolve("policies.yaml");
    Files.writeString(
        file,
        """
        gateway:
          redis: { url: "redis://127.0.0.1:1" }
        backends:
          api: { type: mock }
        routes:
          - id: orders
            match: { path: /orders }
            backend: api
            policies:
              - validate: { body: { schema: { type: integr } } }
          - id: limited
            match: { path: /limited }
            backend: api
            policies:
              - rate-limit: { store: redis, limits: [ { requests: 1, per: 1s } ] }
              - idempotency: { store: redis }
        """);
    long t0 = System.nanoTime();
    Result r = sluice("validate", "--config", file.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err())
        .contains(
            file
                + ":10:19 routes[0].policies[0].validate: the body schema is not a valid JSON"
                + " Schema (2020-12)")
        .contains("1 error(s)")
        .doesNotContain("Redis at"); // check-only: no connection was tried
    assertThat(r.out()).doesNotContain("OK");
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(20_000);
  }

  @Test
  void validatePrintsWarningsButAcceptsTheFile() throws Exception {
    Path file = dir.resolve("long.yaml");
    Files.writeString(
        file,
        """
        backends:
          reports: { type: azure-function, url: "https://r.example/api/generate", timeout: 5m }
        routes:
          - { id: r, match: { path: /r }, backend: reports }
        """);
    Result r = sluice("validate", "--config", file.toString());
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("OK");
    assertThat(r.err())
        .contains("warning: " + file + ":2:84 backends.reports.timeout: Azure cuts HTTP-triggered");
  }

  @Test
  void routesPrintsEveryRouteWithItsBackend() throws Exception {
    Result r = sluice("routes", "--config", ROUTES.resolve("demo.yaml").toString());
    assertThat(r.exit()).isZero();
    assertThat(r.out())
        .contains("ROUTE")
        .containsPattern("hello\\s+GET\\s+\\*\\s+/hello\\s+hello \\(MockBackend\\)")
        .containsPattern("echo\\s+\\*\\s+\\*\\s+/echo/\\*\\*\\s+echo \\(HttpBackend\\)");
  }

  @Test
  void theReadmeDemoAnswersWithItsEmbeddedBackends() throws Exception {
    int port = freePort();
    int admin = freePort();
    int demo = freePort();
    ProcessBuilder pb =
        new ProcessBuilder(
                SluiceProcess.java(),
                "-jar",
                SluiceProcess.JAR.toString(),
                "run",
                "--config",
                ROUTES.resolve("demo.yaml").toString(),
                "--demo-backends",
                "--instances",
                "1")
            .redirectOutput(dir.resolve("demo.out").toFile())
            .redirectError(dir.resolve("demo.err").toFile());
    pb.environment().put("SLUICE_PORT", String.valueOf(port));
    pb.environment().put("SLUICE_ADMIN_PORT", String.valueOf(admin));
    pb.environment().put("SLUICE_DEMO_PORT", String.valueOf(demo));
    Process p = pb.start();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    try {
      awaitReady(http, admin, p);
      assertThat(get(http, port, "/hello")).isEqualTo("200 {\"hello\":\"world\"}");
      assertThat(get(http, port, "/orders/42")).startsWith("200 ").contains("shipped");
      assertThat(get(http, port, "/echo/anything?x=1"))
          .startsWith("200 ")
          .contains("\"uri\" : \"/echo/anything?x=1\"")
          .contains("x-forwarded-for");
      assertThat(get(http, port, "/nowhere"))
          .startsWith("404 ")
          .contains("urn:sluice:problem:not-found");
      p.destroy();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).isZero();
    } finally {
      p.destroyForcibly();
    }
  }

  private static String get(HttpClient http, int port, String path) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
            HttpResponse.BodyHandlers.ofString());
    return r.statusCode() + " " + r.body();
  }

  @Test
  void runDrainsOnSigtermAndExitsZero() throws Exception {
    CountDownLatch arrived = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    HttpServer backend =
        backend(
            2,
            "drained",
            () -> {
              arrived.countDown();
              release.await(20, TimeUnit.SECONDS);
            },
            () -> {});
    int port = freePort();
    int admin = freePort();
    Path routes = dir.resolve("routes.yaml");
    Files.writeString(
        routes,
        """
        gateway:
          listen: { host: 127.0.0.1, port: %d }
          admin: { port: %d }
          drainTimeout: 20s
        backends:
          slow: { type: http, targets: [ "http://127.0.0.1:%d" ] }
        routes:
          - { id: slow, match: { path: /slow }, backend: slow }
        """
            .formatted(port, admin, backend.getAddress().getPort()));
    Process p = run("run", routes, "--instances", "1");
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    try {
      awaitReady(http, admin, p);
      CompletableFuture<HttpResponse<String>> inFlight =
          http.sendAsync(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/slow")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();
      p.destroy(); // SIGTERM
      Thread.sleep(300);
      assertThat(p.isAlive()).as("still draining").isTrue();
      release.countDown();
      HttpResponse<String> r = inFlight.get(20, TimeUnit.SECONDS);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("drained");
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).isZero();
      String log = Files.readString(dir.resolve("run.out"));
      assertThat(log).contains("\"route\":\"slow\"").contains("\"status\":200");
    } finally {
      release.countDown();
      p.destroyForcibly();
      backend.stop(0);
    }
  }

  @Test
  void runReloadsOnSighup() throws Exception {
    int port = freePort();
    int admin = freePort();
    Path routes = dir.resolve("hup.yaml");
    String text =
        """
        gateway:
          listen: { host: 127.0.0.1, port: %d }
          admin: { port: %d }
        backends:
          fixed: { type: mock, status: 200, body: "%s" }
        routes:
          - { id: r, match: { path: /r }, backend: fixed }
        """;
    Files.writeString(routes, text.formatted(port, admin, "before"));
    Process p = run("hup", routes, "--watch", "0");
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    try {
      awaitReady(http, admin, p);
      assertThat(get(http, port, "/r")).isEqualTo("200 before");
      Files.writeString(routes, text.formatted(port, admin, "after"));
      Thread.sleep(300);
      assertThat(get(http, port, "/r")).as("not watched").isEqualTo("200 before");
      assertThat(new ProcessBuilder("kill", "-HUP", String.valueOf(p.pid())).start().waitFor())
          .isZero();
      assertThat(awaitAnswer(http, port, "/r", "200 after")).isEqualTo("200 after");
      assertThat(awaitLog("hup.err", "config reloaded")).contains("config reloaded");
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void aSignalIgnoredAtStartIsLoggedNotSilentlyLost() throws Exception {
    int port = freePort();
    int admin = freePort();
    Path routes = dir.resolve("nohup.yaml");
    Files.writeString(
        routes,
        """
        gateway:
          listen: { host: 127.0.0.1, port: %d }
          admin: { port: %d }
        backends:
          fixed: { type: mock }
        routes:
          - { id: r, match: { path: /r }, backend: fixed }
        """
            .formatted(port, admin));
    Path err = dir.resolve("nohup.err");
    Process p =
        new ProcessBuilder(
                "env",
                "--default-signal",
                "--ignore-signal=HUP",
                SluiceProcess.java(),
                "-jar",
                SluiceProcess.JAR.toString(),
                "run",
                "--config",
                routes.toString())
            .redirectOutput(dir.resolve("nohup.out").toFile())
            .redirectError(err.toFile())
            .start();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    try {
      awaitReady(http, admin, p);
      assertThat(awaitLog("nohup.err", "SIGHUP is ignored"))
          .contains("SIGHUP is ignored by this process")
          .contains("still reloaded by the file watch and POST /admin/reload")
          .doesNotContain("SIGTERM is ignored");
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void sigtermUnderLoadFailsNoRequestInFlight() throws Exception {
    AtomicInteger received = new AtomicInteger();
    AtomicInteger inBackend = new AtomicInteger();
    HttpServer backend =
        backend(
            32,
            "ok",
            () -> {
              received.incrementAndGet();
              inBackend.incrementAndGet();
              Thread.sleep(100);
            },
            inBackend::decrementAndGet);
    int port = freePort();
    int admin = freePort();
    Path routes = dir.resolve("load.yaml");
    Files.writeString(
        routes,
        """
        gateway:
          listen: { host: 127.0.0.1, port: %d }
          admin: { port: %d }
          drainTimeout: 20s
          accessLog: false
        backends:
          slow: { type: http, targets: [ "http://127.0.0.1:%d" ], maxConnections: 64 }
        routes:
          - { id: slow, match: { path: /slow }, backend: slow }
        """
            .formatted(port, admin, backend.getAddress().getPort()));
    Process p = run("load", routes, "--instances", "2");
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    java.util.concurrent.ExecutorService clients =
        java.util.concurrent.Executors.newFixedThreadPool(16);
    try {
      awaitReady(http, admin, p);
      java.util.concurrent.atomic.AtomicBoolean stop =
          new java.util.concurrent.atomic.AtomicBoolean();
      java.util.concurrent.atomic.AtomicLong signalledAt =
          new java.util.concurrent.atomic.AtomicLong();
      AtomicInteger ok = new AtomicInteger();
      java.util.Queue<String> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
      HttpRequest slow =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/slow"))
              .timeout(Duration.ofSeconds(30))
              .build();
      for (int i = 0; i < 16; i++) {
        clients.submit(
            () -> {
              while (!stop.get()) {
                long sent = System.nanoTime();
                try {
                  HttpResponse<String> r = http.send(slow, HttpResponse.BodyHandlers.ofString());
                  if (r.statusCode() == 200 && r.body().equals("ok")) {
                    ok.incrementAndGet();
                  } else {
                    failures.add("status " + r.statusCode() + ": " + r.body());
                  }
                } catch (IOException e) {
                  long at = signalledAt.get();
                  if (at == 0 || sent < at - TimeUnit.MILLISECONDS.toNanos(200)) {
                    failures.add("before SIGTERM: " + e);
                  }
                  // After SIGTERM the listener refuses new connections, and an idle keep-alive
                  // connection may close as a request is sent on it: such a request never
                  // reached the gateway, which the count below checks.
                  try {
                    Thread.sleep(5);
                  } catch (InterruptedException ie) {
                    return;
                  }
                } catch (InterruptedException e) {
                  return;
                }
              }
            });
      }
      Thread.sleep(1500);
      int inFlightAtSignal = inBackend.get();
      signalledAt.set(System.nanoTime());
      p.destroy(); // SIGTERM
      Thread.sleep(1000);
      stop.set(true);
      clients.shutdown();
      assertThat(clients.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).isZero();
      assertThat(inFlightAtSignal).as("requests in flight at SIGTERM").isGreaterThan(0);
      assertThat(failures).isEmpty();
      // Every request that reached the backend was answered to its client.
      assertThat(ok.get()).isEqualTo(received.get()).isGreaterThan(50);
    } finally {
      clients.shutdownNow();
      p.destroyForcibly();
      backend.stop(0);
    }
  }

  @Test
  void listenAndAdminFromTheCommandLineOverrideTheFileOnEveryReload() throws Exception {
    int port = freePort();
    int admin = freePort();
    Path routes = dir.resolve("listen.yaml");
    String text =
        """
        gateway:
          listen: { host: 127.0.0.1, port: 1 }
          admin: { host: 127.0.0.1, port: 2 }
        backends:
          fixed: { type: mock, status: 200, body: "%s" }
        routes:
          - { id: r, match: { path: /r }, backend: fixed }
        """;
    Files.writeString(routes, text.formatted("before"));
    Process p =
        run(
            "listen",
            routes,
            "--listen",
            "127.0.0.1:" + port,
            "--admin",
            String.valueOf(admin),
            "--watch",
            "100ms");
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    try {
      awaitReady(http, admin, p);
      assertThat(get(http, port, "/r")).isEqualTo("200 before");
      Files.writeString(routes, text.formatted("after"));
      assertThat(awaitAnswer(http, port, "/r", "200 after")).isEqualTo("200 after");
      // The file's listeners never count as a change that needs a restart.
      assertThat(awaitLog("listen.err", "config reloaded"))
          .contains("config reloaded")
          .doesNotContain("gateway.listen")
          .doesNotContain("gateway.admin");
    } finally {
      p.destroyForcibly();
    }
    Process bad = run("badlisten", routes, "--listen", "127.0.0.1:http");
    assertThat(bad.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(bad.exitValue()).isEqualTo(2);
    assertThat(Files.readString(dir.resolve("badlisten.err")))
        .contains("--listen/--admin: expected HOST:PORT, [IPv6]:PORT or PORT");
  }

  /** What a test backend does before it answers (it may wait). */
  private interface BeforeAnswer {
    void run() throws InterruptedException;
  }

  /**
   * A loopback backend on {@code threads} threads that answers every request 200 {@code body},
   * running {@code before} first and {@code after} once the answer is sent.
   */
  private static HttpServer backend(int threads, String body, BeforeAnswer before, Runnable after)
      throws IOException {
    HttpServer backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    backend.createContext(
        "/",
        ex -> {
          try {
            before.run();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          ex.sendResponseHeaders(200, bytes.length);
          try (OutputStream o = ex.getResponseBody()) {
            o.write(bytes);
          }
          after.run();
        });
    backend.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(threads));
    backend.start();
    return backend;
  }

  /** {@code sluice run --config routes args...}, its output in NAME.out and NAME.err. */
  private Process run(String name, Path routes, String... args) throws Exception {
    return new ProcessBuilder(SluiceProcess.runCommand(routes, args))
        .redirectOutput(dir.resolve(name + ".out").toFile())
        .redirectError(dir.resolve(name + ".err").toFile())
        .start();
  }

  /**
   * GETs {@code path} until it answers {@code expected} (a reload) or 10 s pass; the last answer.
   */
  private static String awaitAnswer(HttpClient http, int port, String path, String expected)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    String answer = get(http, port, path);
    while (!answer.equals(expected) && System.nanoTime() < deadline) {
      Thread.sleep(100);
      answer = get(http, port, path);
    }
    return answer;
  }

  /**
   * The log file {@code name} once it holds {@code expected}, or after 10 s. A reload is logged
   * once every event loop has the new config: after the first answers from it.
   */
  private String awaitLog(String name, String expected) throws Exception {
    Path log = dir.resolve(name);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    String text = Files.readString(log);
    while (!text.contains(expected) && System.nanoTime() < deadline) {
      Thread.sleep(50);
      text = Files.readString(log);
    }
    return text;
  }

  private void awaitReady(HttpClient http, int admin, Process p) throws Exception {
    SluiceProcess.awaitReady(http, admin, p, "sluice", () -> "its output is in " + dir);
  }
}
