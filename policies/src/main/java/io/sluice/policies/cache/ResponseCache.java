package io.sluice.policies.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.sluice.policies.PerVertx;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's one response store (Caffeine, bounded in bytes, least recently used out first),
 * shared by every route's cache policy, and the misses in flight that later requests for the same
 * key wait for instead of calling the backend too.
 */
final class ResponseCache {

  /** Under a primary key when responses vary: the request headers that pick the variant. */
  record Variants(List<String> headers) {}

  /** A miss on its way to the backend, and the requests waiting for its response. */
  private static final class Flight {
    final List<Waiter> waiters = new ArrayList<>(2);
  }

  private record Waiter(Context context, Promise<CachedResponse> promise, long timer) {}

  private static final long VARIANTS_TTL_NANOS = TimeUnit.DAYS.toNanos(1);

  private final Vertx vertx;
  private final Cache<String, Object> entries;
  private final Map<String, Flight> flights = new ConcurrentHashMap<>();

  private ResponseCache(Vertx vertx, long maxBytes, Meter meter) {
    this.vertx = vertx;
    LongCounter evictions =
        meter
            .counterBuilder("sluice.cache.evictions")
            .setDescription("Cached responses pushed out to make room (not expiries).")
            .build();
    evictions.add(0);
    this.entries =
        Caffeine.newBuilder()
            .maximumWeight(maxBytes)
            .<String, Object>weigher(
                (k, v) -> k.length() + (v instanceof CachedResponse r ? r.weight() : 64))
            .expireAfter(
                new Expiry<String, Object>() {
                  @Override
                  public long expireAfterCreate(String k, Object v, long now) {
                    return v instanceof CachedResponse r
                        ? TimeUnit.MILLISECONDS.toNanos(r.freshMillis() + r.staleMillis())
                        : VARIANTS_TTL_NANOS;
                  }

                  @Override
                  public long expireAfterUpdate(String k, Object v, long now, long left) {
                    return expireAfterCreate(k, v, now);
                  }

                  @Override
                  public long expireAfterRead(String k, Object v, long now, long left) {
                    return left;
                  }
                })
            .removalListener(
                (k, v, cause) -> {
                  if (cause == RemovalCause.SIZE) {
                    evictions.add(1);
                  }
                })
            .executor(Runnable::run)
            .build();
    meter
        .upDownCounterBuilder("sluice.cache.size")
        .setUnit("By")
        .setDescription("Bytes the cached responses take (bodies, headers, keys).")
        .buildWithCallback(
            m ->
                m.record(
                    entries.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L)));
    meter
        .upDownCounterBuilder("sluice.cache.entries")
        .setDescription("Cached responses.")
        .buildWithCallback(m -> m.record(entries.estimatedSize()));
  }

  /** The store of this Vert.x, made on first use with the gateway's cache.maxSize. */
  static ResponseCache shared(Vertx vertx, long maxBytes, Meter meter) {
    return PerVertx.get(
        vertx, List.of("cache", maxBytes), () -> new ResponseCache(vertx, maxBytes, meter));
  }

  /** A response, a {@link Variants} marker, or null. */
  Object get(String key) {
    return entries.getIfPresent(key);
  }

  void put(String key, Object value) {
    entries.put(key, value);
  }

  void remove(String key) {
    entries.invalidate(key);
  }

  /**
   * Purges the stores of this Vert.x: entries of {@code route} (null: all) whose path starts with
   * {@code prefix} (null: any). Keys are route, host, path?query, ... one per line.
   */
  static long purge(Vertx vertx, String route, String prefix) {
    long n = 0;
    for (ResponseCache c : PerVertx.all(vertx, "cache", ResponseCache.class)) {
      n += c.purge(route, prefix);
    }
    return n;
  }

  private long purge(String route, String prefix) {
    List<String> keys =
        entries.asMap().keySet().stream()
            .filter(
                k -> {
                  String[] parts = k.split("\n", 4);
                  if (parts.length < 3 || (route != null && !parts[0].equals(route))) {
                    return false;
                  }
                  return prefix == null || parts[2].startsWith(prefix);
                })
            .toList();
    entries.invalidateAll(keys);
    return keys.size();
  }

  /**
   * Joins the miss in flight for this key: null when there is none, and the caller is now the one
   * that goes to the backend (and must {@link #land} the key); else a future of what that one
   * brings back: its response, or null (not stored, or not within {@code waitMillis}: go yourself).
   * The future completes on the caller's context.
   */
  Future<CachedResponse> join(String key, long waitMillis) {
    Context context = vertx.getOrCreateContext();
    Promise<CachedResponse> promise = Promise.promise();
    boolean[] leads = {false};
    flights.compute(
        key,
        (k, f) -> {
          if (f == null) {
            leads[0] = true;
            return new Flight();
          }
          long timer =
              vertx.setTimer(
                  waitMillis, id -> context.runOnContext(v -> promise.tryComplete(null)));
          f.waiters.add(new Waiter(context, promise, timer));
          return f;
        });
    return leads[0] ? null : promise.future();
  }

  /** The leader's miss is over: the waiters get its stored response, or null. */
  void land(String key, CachedResponse stored) {
    Flight f = flights.remove(key);
    if (f == null) {
      return;
    }
    for (Waiter w : f.waiters) {
      vertx.cancelTimer(w.timer());
      w.context().runOnContext(v -> w.promise().tryComplete(stored));
    }
  }
}
