package io.sluice.api;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;

/** What a factory may use to build a policy. */
public interface PolicyContext {

  /** The gateway's Vert.x: timers, the HTTP client, shared data, {@code executeBlocking}. */
  Vertx vertx();

  /** The clock to use for anything time-based (tests may set it). */
  Clock clock();

  /** The route the policy is created for. */
  String routeId();

  /** Resolves a path written in the route file (relative to the file's directory). */
  Path resolve(String path);
}
