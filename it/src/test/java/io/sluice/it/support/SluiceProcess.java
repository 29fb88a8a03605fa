package io.sluice.it.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code sluice run} as its own process, the runnable jar as a user runs it: on loopback ports
 * picked before it starts (so that it can be started again on the same ones), its output in
 * NAME.out and NAME.err under a directory.
 */
public final class SluiceProcess implements AutoCloseable {

  public static final Path JAR =
      Path.of(System.getProperty("sluice.jar", "../gateway/target/sluice.jar"));

  private final Path dir;
  private final String name;
  private final Path routes;
  private final Map<String, String> env;
  private final int port;
  private final int adminPort;
  private Process process;
  private int starts;

  private SluiceProcess(
      Path dir, String name, Path routes, Map<String, String> env, int port, int adminPort) {
    this.dir = dir;
    this.name = name;
    this.routes = routes;
    this.env = Map.copyOf(env);
    this.port = port;
    this.adminPort = adminPort;
  }

  /** Starts one (not waiting for it: see {@link #awaitReady}). */
  public static SluiceProcess start(Path dir, String name, Path routes, Map<String, String> env)
      throws IOException {
    SluiceProcess p = new SluiceProcess(dir, name, routes, env, freePort(), freePort());
    p.start();
    return p;
  }

  /** This JVM's java launcher. */
  public static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /**
   * {@code sluice run --config routes args...} as a test starts it: every signal at its default,
   * even those the test JVM was started with ignored (under nohup, say), which would otherwise stay
   * ignored in the gateway.
   */
  public static List<String> runCommand(Path routes, String... args) {
    List<String> command =
        new ArrayList<>(
            List.of(
                "env",
                "--default-signal",
                java(),
                "-jar",
                JAR.toString(),
                "run",
                "--config",
                routes.toString()));
    command.addAll(List.of(args));
    return command;
  }

  /** Starts it again, on the same ports, after {@link #kill}. */
  public void start() throws IOException {
    starts++;
    ProcessBuilder pb =
        new ProcessBuilder(
                runCommand(
                    routes, "--listen", "127.0.0.1:" + port, "--admin", "127.0.0.1:" + adminPort))
            .redirectOutput(dir.resolve(name + "-" + starts + ".out").toFile())
            .redirectError(dir.resolve(name + "-" + starts + ".err").toFile());
    pb.environment().putAll(env);
    process = pb.start();
  }

  public int port() {
    return port;
  }

  public String url() {
    return "http://127.0.0.1:" + port;
  }

  /** Waits until /readyz on its admin port says 200. */
  public SluiceProcess awaitReady() throws Exception {
    awaitReady(HttpClient.newHttpClient(), adminPort, process, name, this::output);
    return this;
  }

  /**
   * Waits up to 30 s until /readyz on {@code adminPort} says 200; fails at once when {@code
   * process} exits, and says what {@code output} gives.
   */
  public static void awaitReady(
      HttpClient http,
      int adminPort,
      Process process,
      String name,
      java.util.function.Supplier<String> output)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError(name + " exited early: " + output.get());
      }
      try {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/readyz"))
                    .timeout(Duration.ofSeconds(2))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not up yet
      }
      Thread.sleep(50);
    }
    throw new AssertionError(name + " never became ready: " + output.get());
  }

  /** SIGKILL: the process dies at once, its connections reset, as a crashed node's would. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** Everything it wrote, from its last start. */
  public String output() {
    try {
      return Files.readString(dir.resolve(name + "-" + starts + ".out"))
          + Files.readString(dir.resolve(name + "-" + starts + ".err"));
    } catch (IOException e) {
      return "(no output: " + e + ")";
    }
  }

  /** SIGTERM, and waits for it to exit. */
  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
