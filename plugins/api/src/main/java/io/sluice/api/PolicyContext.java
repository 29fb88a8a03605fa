package io.sluice.api;

import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.MeterProvider;
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
   * {@code redis} ({@code url}, {@code timeout} such as "100ms") when the file sets one, and {@code
   * cache} ({@code maxSize} in bytes). A copy.
   */
  default JsonObject gatewaySettings() {
    return new JsonObject();
  }

  /**
   * True when the policy is created only to check its config ({@code sluice validate}): it will
   * never see a request, so start nothing (no fetches, connections or timers); still throw {@link
   * IllegalArgumentException} for a config that cannot work.
   */
  default boolean checkOnly() {
    return false;
  }

  /**
   * The gateway's OpenTelemetry meter: instruments made here are exported with the gateway's own
   * metrics (Prometheus text on the admin port's {@code /metrics}, and OTLP when configured).
   *
   * <p>Name instruments after the policy ({@code sluice.<policy>.*} for built-ins, your plugin's
   * name otherwise), make them once in {@link PolicyFactory#create} and not per request, and keep
   * attribute values to a small fixed set (the route id, an outcome): never a value taken from a
   * request, which would let clients grow the series without bound.
   *
   * <pre>{@code
   * LongCounter refusals = context.meter().counterBuilder("acme.signature.refusals").build();
   * Attributes attrs = Attributes.of(AttributeKey.stringKey("route"), context.routeId());
   * ... refusals.add(1, attrs);
   * }</pre>
   */
  default Meter meter() {
    return MeterProvider.noop().get("io.sluice");
  }
}
