package io.sluice.bench;

import io.sluice.api.PolicyContext;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;

/** A policy context for micro-benchmarks. */
record BenchContext(Vertx vertx) implements PolicyContext {
  @Override
  public Clock clock() {
    return Clock.systemUTC();
  }

  @Override
  public String routeId() {
    return "bench";
  }

  @Override
  public Path resolve(String path) {
    return Path.of(path);
  }
}
