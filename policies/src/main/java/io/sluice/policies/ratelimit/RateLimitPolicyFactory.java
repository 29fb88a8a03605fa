package io.sluice.policies.ratelimit;

import io.sluice.api.Phase;
import io.sluice.api.Policy;
import io.sluice.api.PolicyContext;
import io.sluice.api.PolicyFactory;
import io.sluice.policies.Digests;
import io.sluice.policies.PerVertx;
import io.sluice.policies.Schemas;
import io.sluice.policies.redis.RedisConnection;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code rate-limit}: token buckets (bucket4j) per client, key, principal or route, in this gateway
 * or in Redis for every gateway.
 *
 * <pre>{@code
 * - rate-limit:
 *     key: ip                  # ip | principal | header:<Name> | route | a list of these
 *     limits:
 *       - { requests: 100, per: 1m }
 *       - { requests: 10, per: 1s }
 *     store: local             # local | redis (gateway.redis)
 *     onStoreFailure: allow    # allow | deny
 * }</pre>
 *
 * <p>Buckets belong to the config, not to the route: routes with the same {@code rate-limit} config
 * (a global policy, for one) share them; put {@code route} in the key to count each route apart.
 */
public final class RateLimitPolicyFactory implements PolicyFactory {

  static final int DEFAULT_MAX_KEYS = 100_000;

  /** bucket4j's batching of concurrent calls for one key; off only to measure what it saves. */
  static final boolean BATCHING =
      Boolean.parseBoolean(System.getProperty("sluice.redis.batching", "true"));

  private final Map<JsonObject, RateLimiter> limiters = new ConcurrentHashMap<>();

  @Override
  public String name() {
    return "rate-limit";
  }

  @Override
  public Phase phase() {
    return Phase.RATE_LIMIT;
  }

  @Override
  public String configSchema() {
    return Schemas.load(RateLimitPolicyFactory.class, "rate-limit");
  }

  @Override
  public Policy create(JsonObject config, PolicyContext context) {
    RateLimiter limiter = limiters.computeIfAbsent(config.copy(), c -> limiter(c, context));
    return new RateLimitPolicy(limiter, context.vertx(), new RateLimitMetrics(context));
  }

  private RateLimiter limiter(JsonObject config, PolicyContext context) {
    Limits limits = new Limits(config.getJsonArray("limits"));
    KeyExtractor key = KeyExtractor.of(keyParts(config.getValue("key", "ip")));
    boolean deny = "deny".equals(config.getString("onStoreFailure", "allow"));
    String namespace = namespace(config);
    if ("redis".equals(config.getString("store", "local"))) {
      RedisConnection redis = RedisConnection.forPolicy(context);
      if (redis == null) {
        // Checked, not run: no connection to Redis.
        return new RateLimiter(limits, key, namespace, new LocalStore(limits, 1), null, deny);
      }
      // One store (and one set of its gauges) per server for the gateway's life, across reloads.
      RedisStore store =
          PerVertx.get(
              context.vertx(),
              List.of("rate-limit-store", redis.url()),
              () -> {
                RedisStore s = new RedisStore(redis, BATCHING);
                RateLimitMetrics.observe(context.meter(), s);
                return s;
              });
      return new RateLimiter(limits, key, namespace, null, store, deny);
    }
    LocalStore local = new LocalStore(limits, config.getInteger("maxKeys", DEFAULT_MAX_KEYS));
    return new RateLimiter(limits, key, namespace, local, null, deny);
  }

  private static List<String> keyParts(Object key) {
    List<String> parts = new ArrayList<>();
    if (key instanceof JsonArray a) {
      a.forEach(o -> parts.add(String.valueOf(o)));
    } else {
      parts.add(String.valueOf(key));
    }
    return parts;
  }

  /**
   * The same on every gateway that loads the same config, so that they share buckets in Redis;
   * different for different limits or keys.
   */
  static String namespace(JsonObject config) {
    JsonObject identity =
        new JsonObject()
            .put("key", config.getValue("key", "ip"))
            .put("limits", config.getJsonArray("limits"));
    return HexFormat.of().formatHex(Digests.sha256(identity.encode()), 0, 8);
  }
}
