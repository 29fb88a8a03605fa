package io.sluice.gateway.server;

import io.sluice.gateway.backend.HttpBackendHandler;
import io.sluice.gateway.backend.TargetHealth;
import io.sluice.gateway.config.SluiceConfig;
import io.sluice.gateway.config.SluiceConfig.AzureFunctionBackend;
import io.sluice.gateway.config.SluiceConfig.Backend;
import io.sluice.gateway.config.SluiceConfig.HttpBackend;
import io.sluice.gateway.config.SluiceConfig.LambdaBackend;
import io.sluice.gateway.policy.PolicyChain;
import io.sluice.gateway.resilience.BackendGuard;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * What the admin API shows of a running config: the effective routes with their policy chains
 * (names and places in the file, never their settings, which may hold secrets), and the backends
 * with their live state. Reads shared, thread-safe state only.
 */
final class AdminApi {

  private final java.util.function.Supplier<GatewayRuntime> current;
  private final Gateway gateway;

  AdminApi(java.util.function.Supplier<GatewayRuntime> current, Gateway gateway) {
    this.current = current;
    this.gateway = gateway;
  }

  /** Reloads the route file; the future has the result (refused ones included). */
  io.vertx.core.Future<ReloadResult> reload() {
    return gateway.reload();
  }

  /** The config in force, with every secret replaced by {@code ***}. */
  JsonObject config() {
    return io.sluice.gateway.config.RedactedConfig.of(current.get().config);
  }

  JsonObject routes() {
    GatewayRuntime runtime = current.get();
    JsonArray routes = new JsonArray();
    for (SluiceConfig.Route r : runtime.config.routes()) {
      JsonArray chain = new JsonArray();
      for (PolicyChain.Spec s : PolicyChain.order(runtime.config.policies(), r.policies())) {
        chain.add(
            new JsonObject()
                .put("policy", s.spec().name())
                .put("phase", s.spec().phase().name())
                .put("global", s.global())
                .put("at", s.spec().location())
                .put("runsAt", s.spec().atCore() ? "core" : "edge")
                .put("runsHere", runsHere(runtime.role, s.spec().atCore())));
      }
      routes.add(
          new JsonObject()
              .put("id", r.id())
              .put("methods", new JsonArray(r.methods().stream().toList()))
              .put("hosts", new JsonArray(r.hosts()))
              .put("path", r.path())
              .put("backend", r.backend())
              .put("policies", chain));
    }
    return new JsonObject()
        .put("source", runtime.config.source())
        .put("role", runtime.role.name().toLowerCase(java.util.Locale.ROOT))
        .put("routes", routes);
  }

  private static boolean runsHere(SluiceConfig.Role role, boolean atCore) {
    return role == SluiceConfig.Role.STANDALONE || atCore == (role == SluiceConfig.Role.CORE);
  }

  JsonObject backends() {
    GatewayRuntime runtime = current.get();
    JsonArray out = new JsonArray();
    for (int i = 0; i < runtime.backends.size(); i++) {
      Backend b = runtime.backends.get(i);
      JsonObject o = new JsonObject().put("name", b.name());
      if (b instanceof HttpBackend h) {
        // An edge has one backend: its core regions, in order of preference.
        boolean edge = runtime.role == SluiceConfig.Role.EDGE;
        o.put("type", edge ? "core" : "http");
        JsonArray targets = new JsonArray();
        HttpBackendHandler.Shared shared = runtime.shared[i];
        TargetHealth health = shared == null ? null : shared.health();
        for (int t = 0; t < h.targets().size(); t++) {
          JsonObject target =
              new JsonObject()
                  .put("url", h.targets().get(t).toString())
                  .put("up", health == null || health.up(t));
          if (edge) {
            target.put("region", runtime.config.gateway().tier().edge().regions().get(t).region());
          }
          targets.add(target);
        }
        o.put("targets", targets);
      } else if (b instanceof LambdaBackend l) {
        o.put("type", "lambda").put("function", l.function()).put("region", l.region());
        if (l.endpoint() != null) {
          o.put("endpoint", l.endpoint().getScheme() + "://" + l.endpoint().getAuthority());
        }
      } else if (b instanceof AzureFunctionBackend a) {
        // The URL without its query (a code= key could be there); never the key.
        o.put("type", "azure-function")
            .put(
                "url", (a.https() ? "https://" : "http://") + a.host() + ":" + a.port() + a.path());
      } else {
        o.put("type", "mock");
      }
      BackendGuard guard = runtime.guards[i];
      if (guard != null) {
        o.put("circuit", guard.circuitState().name().toLowerCase(java.util.Locale.ROOT));
        if (guard.active() >= 0) {
          o.put("active", guard.active()).put("queued", guard.queued());
        }
      }
      out.add(o);
    }
    return new JsonObject().put("backends", out);
  }
}
