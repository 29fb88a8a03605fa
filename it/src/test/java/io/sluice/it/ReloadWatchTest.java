package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.gateway.config.ConfigLoader;
import io.sluice.gateway.config.ConfigSource;
import io.sluice.gateway.config.SluiceConfig;
import io.sluice.gateway.server.Gateway;
import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestBackend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The route file watched: an edit is in force within a few checks, and so is a Kubernetes ConfigMap
 * update, which swaps a {@code ..data} symlink and leaves the file's own link alone.
 */
class ReloadWatchTest {

  static String routes(String answer) {
    return """
        backends:
          fixed: { type: mock, status: 200, body: "%s" }
        routes:
          - { id: r, match: { path: /r }, backend: fixed }
        """
        .formatted(answer);
  }

  @RegisterExtension
  final SluiceExtension sluice =
      SluiceExtension.withConfig(routes("first"))
          .backend("unused", TestBackend.echo())
          .watch(Duration.ofMillis(100))
          .build();

  private void awaitAnswer(String expected) throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    String body = null;
    while (System.nanoTime() < deadline) {
      body = sluice.client().get("/r").body();
      if (expected.equals(body)) {
        return;
      }
      Thread.sleep(50);
    }
    assertThat(body).as("answer within 5 s").isEqualTo(expected);
  }

  @Test
  void aChangeMadeWhileTheGatewayStartedIsSeenAtTheFirstCheck(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("routes.yaml");
    String first =
        routes("first")
            .replace(
                "routes:",
                "gateway: { listen: { host: 127.0.0.1, port: 0 }, admin: { port: 0 } }\nroutes:");
    Files.writeString(file, first);
    ConfigSource source = ConfigSource.file(file, new ConfigLoader());
    SluiceConfig config = source.load(ConfigLoader.read(file));
    // The file changes after it was loaded and before the gateway starts watching it.
    Files.writeString(file, first.replace("first", "changed"));
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      Gateway gateway = Gateway.start(vertx, config, 1).await(30, TimeUnit.SECONDS);
      gateway.reloadFrom(source, Duration.ofMillis(100), first).await(10, TimeUnit.SECONDS);
      HttpClient http = HttpClient.newHttpClient();
      HttpRequest get =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/r")).build();
      long deadline = System.nanoTime() + 5_000_000_000L;
      String body = http.send(get, HttpResponse.BodyHandlers.ofString()).body();
      while (!body.equals("changed") && System.nanoTime() < deadline) {
        Thread.sleep(50);
        body = http.send(get, HttpResponse.BodyHandlers.ofString()).body();
      }
      assertThat(body).isEqualTo("changed");
      gateway.shutdown().await(30, TimeUnit.SECONDS);
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void anEditedFileIsReloadedByItself() throws Exception {
    assertThat(sluice.client().get("/r").body()).isEqualTo("first");
    sluice.writeRoutes(routes("second"));
    awaitAnswer("second");
    // An invalid edit changes nothing; the next valid one is picked up.
    sluice.writeRoutes("routes: [ { id: broken } ]");
    Thread.sleep(500);
    assertThat(sluice.client().get("/r").body()).isEqualTo("second");
    sluice.writeRoutes(routes("third"));
    awaitAnswer("third");
  }

  @Test
  void aConfigMapSymlinkSwapIsReloaded() throws Exception {
    // routes.yaml -> ..data/routes.yaml, ..data -> ..<version>: what the kubelet lays out.
    Path dir = sluice.routesFile().getParent();
    Path v1 = Files.createDirectory(dir.resolve("..v1"));
    Files.copy(sluice.routesFile(), v1.resolve("routes.yaml"));
    Files.createSymbolicLink(dir.resolve("..data"), v1.getFileName());
    Path link = dir.resolve("routes.tmp");
    Files.createSymbolicLink(link, Path.of("..data/routes.yaml"));
    Files.move(link, sluice.routesFile(), StandardCopyOption.ATOMIC_MOVE);
    Thread.sleep(300);
    assertThat(sluice.client().get("/r").body()).isEqualTo("first");

    Path v2 = Files.createDirectory(dir.resolve("..v2"));
    Files.writeString(v2.resolve("routes.yaml"), routes("swapped"));
    Path data = dir.resolve("..data_tmp");
    Files.createSymbolicLink(data, v2.getFileName());
    Files.move(data, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
    awaitAnswer("swapped");
  }
}
