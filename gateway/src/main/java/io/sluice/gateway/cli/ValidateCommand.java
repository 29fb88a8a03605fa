package io.sluice.gateway.cli;

import io.opentelemetry.api.metrics.MeterProvider;
import io.sluice.gateway.config.ConfigException;
import io.sluice.gateway.config.ConfigLoader;
import io.sluice.gateway.config.SluiceConfig;
import io.sluice.gateway.policy.PolicyChain;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Checks a route file, its policies included (made in check-only mode: no fetches, no connections);
 * prints every error and exits 1 when there is one, prints warnings (settings that work but are
 * probably a mistake) and exits 0 when there are only those. For CI pipelines.
 */
@Command(
    name = "validate",
    description = "Check a route file: every error with file:line:column and path; exit 1 if any.")
final class ValidateCommand implements Callable<Integer> {

  @Option(
      names = {"-c", "--config"},
      required = true,
      description = "The route file.")
  Path config;

  /**
   * Makes every route's policies in check-only mode (they start nothing), for what their schemas
   * cannot say: a JSON Schema that is not one, a key that is too weak, a Redis store without
   * gateway.redis.
   */
  private static List<String> policies(SluiceConfig c) {
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1));
    try {
      List<String> errors = new ArrayList<>();
      JsonObject settings = PolicyChain.settings(c.gateway());
      for (SluiceConfig.Route r : c.routes()) {
        try {
          PolicyChain.create(
              vertx,
              c.baseDir(),
              r.id(),
              settings,
              MeterProvider.noop().get("io.sluice"),
              c.policies(),
              r.policies(),
              true,
              null);
        } catch (IllegalArgumentException e) {
          errors.add(e.getMessage());
        }
      }
      return errors;
    } finally {
      vertx.close();
    }
  }

  @Override
  public Integer call() {
    try {
      SluiceConfig c = new ConfigLoader().load(config);
      c.warnings().forEach(w -> System.err.println("warning: " + w));
      List<String> policyErrors = policies(c);
      if (!policyErrors.isEmpty()) {
        policyErrors.forEach(System.err::println);
        System.err.println(policyErrors.size() + " error(s)");
        return 1;
      }
      System.out.println(
          config + ": OK (" + c.routes().size() + " routes, " + c.backends().size() + " backends)");
      return 0;
    } catch (ConfigException e) {
      System.err.println(e.describe());
      System.err.println(e.getMessage());
      return 1;
    }
  }
}
