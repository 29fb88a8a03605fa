package io.sluice.gateway.cli;

import io.sluice.gateway.config.ConfigException;
import io.sluice.gateway.config.ConfigLoader;
import io.sluice.gateway.config.SluiceConfig;
import io.sluice.gateway.config.SluiceConfig.Listener;
import io.sluice.gateway.demo.EchoServer;
import io.sluice.gateway.server.Gateway;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * Starts the gateway. The route file is watched and reloaded when it changes (and on SIGHUP).
 * SIGTERM or SIGINT: readiness goes false, new connections are refused, requests in flight finish
 * (up to {@code gateway.drainTimeout}), then the process exits 0.
 */
@Command(name = "run", description = "Start the gateway on a route file.")
final class RunCommand implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

  @Option(
      names = {"-c", "--config"},
      required = true,
      description = "The route file.")
  Path config;

  @Option(
      names = "--instances",
      description = "Event loops serving clients (default: the number of CPUs).")
  int instances = Runtime.getRuntime().availableProcessors();

  @Option(
      names = "--demo-backends",
      description =
          "Also start the demo's echo backend on 127.0.0.1:PORT (default: $SLUICE_DEMO_PORT, or"
              + " 9000).",
      paramLabel = "PORT",
      arity = "0..1",
      fallbackValue = "${env:SLUICE_DEMO_PORT:-9000}")
  Integer demoPort;

  @Option(
      names = "--watch",
      description =
          "How often the route file is checked for changes and reloaded (default: 1s; 0: not"
              + " watched, SIGHUP and POST /admin/reload still reload).",
      paramLabel = "DURATION")
  String watch = "1s";

  @Option(
      names = "--listen",
      description =
          "Serve clients on HOST:PORT (or PORT on 0.0.0.0) instead of the route file's"
              + " gateway.listen, for this start and every reload.",
      paramLabel = "HOST:PORT")
  String listen;

  @Option(
      names = "--admin",
      description =
          "Serve the admin listener (probes, /metrics, admin API) on HOST:PORT (or PORT on"
              + " 127.0.0.1) instead of the route file's gateway.admin.",
      paramLabel = "HOST:PORT")
  String admin;

  @Override
  public Integer call() throws Exception {
    SluiceConfig c;
    ConfigLoader loader;
    java.time.Duration watchEvery;
    try {
      watchEvery =
          watch.trim().equals("0") ? java.time.Duration.ZERO : io.sluice.api.Units.duration(watch);
    } catch (IllegalArgumentException e) {
      System.err.println("--watch: " + e.getMessage());
      return 2;
    }
    Listener listenAt;
    Listener adminAt;
    try {
      listenAt = listen == null ? null : Listener.parse(listen, "0.0.0.0");
      adminAt = admin == null ? null : Listener.parse(admin, "127.0.0.1");
    } catch (IllegalArgumentException e) {
      System.err.println("--listen/--admin: " + e.getMessage());
      return 2;
    }
    loader = new ConfigLoader().withListeners(listenAt, adminAt);
    io.sluice.gateway.config.ConfigSource source =
        io.sluice.gateway.config.ConfigSource.file(config, loader);
    String text;
    try {
      text = ConfigLoader.read(config);
      c = source.load(text);
    } catch (ConfigException e) {
      System.err.println(e.describe());
      System.err.println(e.getMessage() + ": not started");
      return 1;
    }
    c.warnings().forEach(w -> LOG.warn("config: {}", w));
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(Math.max(instances, 1)));
    try {
      if (demoPort != null) {
        EchoServer.start(vertx, demoPort).await(10, TimeUnit.SECONDS);
        LOG.info("demo echo backend on 127.0.0.1:{}", demoPort);
      }
      Gateway gateway = Gateway.start(vertx, c, instances).await(30, TimeUnit.SECONDS);
      gateway
          .reloadFrom(source, watchEvery.isZero() ? null : watchEvery, text)
          .await(10, TimeUnit.SECONDS);
      handle(
          "HUP",
          sig -> {
            LOG.info("SIGHUP received: reloading {}", config);
            gateway.reload();
          },
          "the route file is still reloaded by the file watch and POST /admin/reload");
      CountDownLatch stopped = new CountDownLatch(1);
      sun.misc.SignalHandler drain =
          sig -> {
            LOG.info("SIG{} received", sig.getName());
            Thread t =
                new Thread(
                    () -> {
                      try {
                        gateway
                            .shutdown()
                            .await(
                                c.gateway().drainTimeout().toMillis() + 5000,
                                TimeUnit.MILLISECONDS);
                      } catch (Exception e) {
                        LOG.warn("drain did not finish cleanly: {}", e.toString());
                      } finally {
                        vertx.close();
                        stopped.countDown();
                      }
                    },
                    "sluice-drain");
            t.start();
          };
      handle("TERM", drain, "stop it with SIGINT or SIGKILL (without draining)");
      handle("INT", drain, "stop it with SIGTERM");
      stopped.await();
      return 0;
    } catch (Exception e) {
      LOG.error("failed to start: {}", e.toString());
      vertx.close();
      return 1;
    }
  }

  /**
   * Installs a signal handler. A signal the process was started with ignored (under {@code nohup},
   * or SIGINT in a background job) stays ignored, as the JVM wants: that is logged, not silent.
   */
  private static void handle(String signal, sun.misc.SignalHandler handler, String instead) {
    sun.misc.SignalHandler previous = Signal.handle(new Signal(signal), handler);
    if (previous == sun.misc.SignalHandler.SIG_IGN) {
      LOG.warn(
          "SIG{} is ignored by this process (started under nohup or in the background?) and stays"
              + " ignored: {}",
          signal,
          instead);
    }
  }
}
