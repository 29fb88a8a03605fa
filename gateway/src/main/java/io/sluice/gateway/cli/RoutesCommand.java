package io.sluice.gateway.cli;

import io.sluice.gateway.config.ConfigException;
import io.sluice.gateway.config.ConfigLoader;
import io.sluice.gateway.config.SluiceConfig;
import io.sluice.gateway.config.SluiceConfig.Route;
import io.sluice.gateway.policy.PolicyChain;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Prints the routes of a route file as the gateway will apply them. */
@Command(
    name = "routes",
    description = "Print the routes of a route file and each route's policy chain, in order.")
final class RoutesCommand implements Callable<Integer> {

  @Option(
      names = {"-c", "--config"},
      required = true,
      description = "The route file.")
  Path config;

  @Override
  public Integer call() {
    SluiceConfig c;
    try {
      c = new ConfigLoader().load(config);
    } catch (ConfigException e) {
      System.err.println(e.describe());
      return 1;
    }
    String fmt = "%-24s %-16s %-24s %-32s %s%n";
    System.out.printf(fmt, "ROUTE", "METHODS", "HOSTS", "PATH", "BACKEND");
    for (Route r : c.routes()) {
      System.out.printf(
          fmt,
          r.id(),
          r.methods().isEmpty() ? "*" : String.join(",", r.methods()),
          r.hosts().isEmpty() ? "*" : String.join(",", r.hosts()),
          r.path(),
          r.backend() + " (" + c.backends().get(r.backend()).getClass().getSimpleName() + ")");
      // The effective chain, in the order a request meets it.
      for (PolicyChain.Spec s : PolicyChain.order(c.policies(), r.policies())) {
        System.out.printf(
            "    %-10s %-20s %s%n",
            s.spec().phase(),
            s.spec().name(),
            (s.global() ? "global, " : "")
                + (s.spec().atCore() ? "at core, " : "")
                + s.spec().location());
      }
    }
    return 0;
  }
}
