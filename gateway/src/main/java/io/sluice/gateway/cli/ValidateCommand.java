package io.sluice.gateway.cli;

import io.sluice.gateway.config.ConfigException;
import io.sluice.gateway.config.ConfigLoader;
import io.sluice.gateway.config.SluiceConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Checks a route file; prints every error and exits 1 when there is one, prints warnings (settings
 * that work but are probably a mistake) and exits 0 when there are only those. For CI pipelines.
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

  @Override
  public Integer call() {
    try {
      SluiceConfig c = new ConfigLoader().load(config);
      c.warnings().forEach(w -> System.err.println("warning: " + w));
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
