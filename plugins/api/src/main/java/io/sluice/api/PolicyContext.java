package io.sluice.api;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
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

  /**
   * Gateway-wide settings that policies share, from the route file's {@code gateway:} section:
   * {@code redis} ({@code url}, {@code timeout} such as "100ms") when the file sets one. A copy;
   * empty when there is nothing.
   */
  default JsonObject gatewaySettings() {
    return new JsonObject();
  }
}
