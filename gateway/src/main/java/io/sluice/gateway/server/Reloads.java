package io.sluice.gateway.server;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.sluice.gateway.config.ConfigError;
import io.sluice.gateway.config.ConfigException;
import io.sluice.gateway.config.ConfigSource;
import io.sluice.gateway.config.SluiceConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reload side of a gateway: where the route file comes from, watching it for changes, one
 * reload at a time, and the reload metrics ({@code sluice_config_reloads_total{result}}, {@code
 * sluice_config_last_reload_successful}).
 */
final class Reloads {

  private static final Logger LOG = LoggerFactory.getLogger(Reloads.class);
  private static final AttributeKey<String> RESULT = AttributeKey.stringKey("result");
  private static final Attributes SUCCESS = Attributes.of(RESULT, "success");
  private static final Attributes FAILURE = Attributes.of(RESULT, "failure");

  /** What a reload built off the event loop: a runtime to put in force, or a result already. */
  record Built(ReloadResult result, GatewayRuntime next, List<String> notApplied) {}

  private final LongCounter counter;
  private volatile boolean lastSucceeded = true;
  private volatile ConfigSource source;
  private volatile byte[] lastHash;
  private long timer = -1;
  private Future<ReloadResult> last = Future.succeededFuture();
  private boolean inProgress;

  Reloads(Meter meter) {
    counter =
        meter
            .counterBuilder("sluice.config.reloads")
            .setDescription(
                "Route file reloads by result: success, or failure (the old config stays).")
            .build();
    counter.add(0, SUCCESS);
    counter.add(0, FAILURE);
    meter
        .gaugeBuilder("sluice.config.last_reload_successful")
        .ofLongs()
        .setDescription(
            "1 when the last reload was put in force (or none was tried), 0 after a refused one.")
        .buildWithCallback(m -> m.record(lastSucceeded ? 1 : 0));
  }

  ConfigSource source() {
    return source;
  }

  /** Sets the source, remembers the text in force, and watches it when {@code every} is set. */
  Future<Void> attach(
      Vertx vertx,
      ConfigSource source,
      Duration every,
      String textInForce,
      Supplier<Future<ReloadResult>> reload) {
    this.source = source;
    lastHash = hash(textInForce);
    if (every != null) {
      synchronized (this) {
        timer = vertx.setPeriodic(every.toMillis(), id -> check(vertx, reload));
      }
    }
    return Future.succeededFuture();
  }

  /** Reads the file off the event loop; a reload when its text is not the last one loaded. */
  private void check(Vertx vertx, Supplier<Future<ReloadResult>> reload) {
    synchronized (this) {
      if (inProgress) {
        return; // the reload under way reads the file itself; the next tick looks again
      }
    }
    ConfigSource s = source;
    vertx
        .executeBlocking(() -> hash(s.read()))
        .onSuccess(
            h -> {
              if (!Arrays.equals(h, lastHash)) {
                LOG.info("{} changed: reloading", s.name());
                reload.get();
              }
            })
        .onFailure(
            e -> LOG.debug("cannot read {} ({}); looking again later", s.name(), e.toString()));
  }

  void stop(Vertx vertx) {
    synchronized (this) {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
    }
  }

  /** Runs reloads one after another: each starts when the one before is in force or refused. */
  synchronized Future<ReloadResult> serialize(Supplier<Future<ReloadResult>> reload) {
    inProgress = true;
    Future<ReloadResult> next = last.transform(ar -> reload.get());
    last = next;
    next.onComplete(
        ar -> {
          synchronized (this) {
            if (last == next) {
              inProgress = false;
            }
          }
        });
    return next;
  }

  /**
   * Reads and validates the file and builds its runtime from {@code old} (blocking: a worker
   * thread). Settings that cannot change while listening keep their running values.
   */
  Built readAndBuild(Vertx vertx, GatewayRuntime old, boolean evenIfUnchanged) {
    ConfigSource s = source;
    String text;
    try {
      text = s.read();
    } catch (java.io.IOException e) {
      LOG.error(
          "config reload: cannot read {}: {}; the config in force stays", s.name(), e.toString());
      return new Built(
          ReloadResult.refused(List.of(s.name() + ": cannot be read: " + e.getMessage())),
          null,
          null);
    }
    byte[] h = hash(text);
    if (!evenIfUnchanged && Arrays.equals(h, lastHash)) {
      return new Built(ReloadResult.unchanged(), null, null);
    }
    lastHash = h; // a refused text is not tried again until it changes
    SluiceConfig loaded;
    try {
      loaded = s.load(text);
    } catch (ConfigException e) {
      List<String> errors = e.errors().stream().map(ConfigError::toString).toList();
      LOG.error("config reload refused, the config in force stays:\n{}", e.describe());
      return new Built(ReloadResult.refused(errors), null, null);
    }
    loaded.warnings().forEach(w -> LOG.warn("config: {}", w));
    List<String> notApplied = new ArrayList<>();
    SluiceConfig config = keepRestartOnly(old.config, loaded, notApplied);
    for (String n : notApplied) {
      LOG.warn("config reload: {} changed; it takes effect at the next start", n);
    }
    try {
      return new Built(
          null,
          new GatewayRuntime(vertx, config, old.telemetry, old.openConnections, old),
          notApplied);
    } catch (IllegalArgumentException e) {
      LOG.error("config reload refused, the config in force stays: {}", e.getMessage());
      return new Built(ReloadResult.refused(List.of(e.getMessage())), null, null);
    }
  }

  /**
   * The loaded config with the settings the listeners were made with taken from the running one:
   * listen and admin addresses, the admin token, connection limits, the size of the response store
   * (made once), and the role (edge, core or standalone). Each that differs is named.
   */
  static SluiceConfig keepRestartOnly(
      SluiceConfig running, SluiceConfig loaded, List<String> changed) {
    SluiceConfig.Gateway r = running.gateway();
    SluiceConfig.Gateway l = loaded.gateway();
    if (!r.listen().equals(l.listen())) {
      changed.add("gateway.listen");
    }
    if (!r.admin().equals(l.admin())) {
      changed.add("gateway.admin");
    }
    if (!Objects.equals(r.adminToken(), l.adminToken())) {
      changed.add("gateway.admin.token");
    }
    if (!r.limits().equals(l.limits())) {
      changed.add("gateway.limits");
    }
    if (r.cacheMaxSize() != l.cacheMaxSize()) {
      changed.add("gateway.cache.maxSize");
    }
    SluiceConfig.Tier tier = l.tier();
    if (r.role() != l.role()) {
      // An edge's listeners, probes and network policy are not a core's: a new role is a new
      // deployment. The running tier (keys, regions) stays whole.
      changed.add("gateway.role");
      tier = r.tier();
    }
    SluiceConfig.Gateway kept =
        new SluiceConfig.Gateway(
            r.listen(),
            r.admin(),
            r.limits(),
            l.trustedProxies(),
            l.accessLog(),
            l.drainTimeout(),
            l.redis(),
            l.loadShedding(),
            r.cacheMaxSize(),
            r.adminToken(),
            tier);
    return new SluiceConfig(
        loaded.source(),
        loaded.baseDir(),
        kept,
        loaded.backends(),
        loaded.policies(),
        loaded.routes(),
        loaded.registry(),
        loaded.warnings());
  }

  void record(ReloadResult r) {
    switch (r.outcome()) {
      case "applied" -> {
        counter.add(1, SUCCESS);
        lastSucceeded = true;
      }
      case "refused" -> {
        counter.add(1, FAILURE);
        lastSucceeded = false;
      }
      default -> {}
    }
  }

  private static byte[] hash(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
