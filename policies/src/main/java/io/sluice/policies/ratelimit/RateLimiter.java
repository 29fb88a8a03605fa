package io.sluice.policies.ratelimit;

import io.sluice.api.Exchange;
import io.sluice.policies.Digests;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/** One {@code rate-limit} config: its limits, its key and its store. Shared by routes. */
final class RateLimiter {

  final Limits limits;
  final boolean denyOnStoreFailure;
  private final KeyExtractor key;
  private final String namespace;
  private final LocalStore local;
  private final RedisStore redis;

  RateLimiter(
      Limits limits,
      KeyExtractor key,
      String namespace,
      LocalStore local,
      RedisStore redis,
      boolean denyOnStoreFailure) {
    this.limits = limits;
    this.key = key;
    this.namespace = namespace;
    this.local = local;
    this.redis = redis;
    this.denyOnStoreFailure = denyOnStoreFailure;
  }

  boolean isLocal() {
    return local != null;
  }

  /** Local store: the decision, at once. */
  Decision consumeLocal(Exchange ex) {
    return local.consume(key.key(ex));
  }

  /**
   * Redis store: the decision, or a failed future when Redis did not answer in time; completed on
   * {@code context} (the request's event loop), whichever thread Redis answered on.
   */
  Future<Decision> consumeRemote(Exchange ex, Context context) {
    byte[] k = redisKey(key.key(ex));
    return Future.fromCompletionStage(redis.consume(k, limits.configuration), context)
        .map(r -> Decision.of(r, limits));
  }

  private byte[] redisKey(String k) {
    if (k.length() > 128) {
      k = HexFormat.of().formatHex(Digests.sha256(k)); // long header values: a fixed-size key
    }
    return ("sluice:rl:" + namespace + ":" + k).getBytes(StandardCharsets.UTF_8);
  }
}
