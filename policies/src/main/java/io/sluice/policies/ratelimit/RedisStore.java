package io.sluice.policies.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.VerboseResult;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.api.StatefulRedisConnection;
import io.sluice.policies.redis.RedisConnection;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Buckets in Redis, shared by every gateway that points at the same server: bucket4j's Lettuce
 * integration (compare-and-swap), over one Lettuce connection that pipelines every call (no call
 * waits for another's answer, {@link RedisConnection}). Each call has {@code timeout}; a failed or
 * late call is a store failure, for the policy's fallback. One log line when Redis goes away and
 * one when it is back, however many requests fall back between.
 */
final class RedisStore {

  private static final Logger LOG = LoggerFactory.getLogger(RedisStore.class);

  private final RedisConnection redis;
  private final String where;
  private final long timeoutMillis;
  private final boolean batching;
  private final AtomicBoolean failing = new AtomicBoolean();
  private final LongAdder failures = new LongAdder();
  private final Cache<ByteBuffer, AsyncBucketProxy> buckets =
      Caffeine.newBuilder()
          .maximumSize(100_000)
          .expireAfterAccess(Duration.ofMinutes(1))
          .executor(Runnable::run)
          .build();
  private volatile AsyncProxyManager<byte[]> proxies;
  private volatile StatefulRedisConnection<byte[], byte[]> proxiesFor;

  RedisStore(RedisConnection redis, boolean batching) {
    this.redis = redis;
    this.where = redis.where();
    this.timeoutMillis = redis.timeoutMillis();
    this.batching = batching;
  }

  /** host:port of the server (never the password). */
  String where() {
    return where;
  }

  /** Whether the last call failed (an outage is on). */
  boolean failing() {
    return failing.get();
  }

  /** Store failures so far (calls that failed or took longer than the timeout). */
  long failures() {
    return failures.sum();
  }

  /** Takes one token from the bucket at {@code key}; fails when Redis does not answer in time. */
  CompletableFuture<VerboseResult<ConsumptionProbe>> consume(
      byte[] key, BucketConfiguration configuration) {
    return redis
        .get()
        .thenCompose(c -> bucket(c, key, configuration).asVerbose().tryConsumeAndReturnRemaining(1))
        .orTimeout(timeoutMillis, TimeUnit.MILLISECONDS)
        .whenComplete(
            (r, e) -> {
              if (e != null) {
                noteFailure(e);
              } else if (failing.getAndSet(false)) {
                LOG.info("Redis at {}: answering again; rate limits are shared again", where);
              }
            });
  }

  /**
   * One proxy per key, kept while the key is in use: bucket4j batches concurrent calls per proxy.
   */
  private AsyncBucketProxy bucket(
      StatefulRedisConnection<byte[], byte[]> c, byte[] key, BucketConfiguration configuration) {
    AsyncProxyManager<byte[]> p = proxies(c);
    return buckets.get(
        ByteBuffer.wrap(key),
        k -> {
          var builder = p.builder();
          if (batching) {
            // Concurrent requests for one key in this gateway share one compare-and-swap.
            builder = builder.withOptimization(Optimizations.batching());
          }
          return builder.build(key, () -> CompletableFuture.completedFuture(configuration));
        });
  }

  private AsyncProxyManager<byte[]> proxies(StatefulRedisConnection<byte[], byte[]> c) {
    AsyncProxyManager<byte[]> p = proxies;
    if (p != null && proxiesFor == c) {
      return p;
    }
    synchronized (this) {
      if (proxies == null || proxiesFor != c) {
        buckets.invalidateAll();
        proxies =
            Bucket4jLettuce.casBasedBuilder(c)
                .expirationAfterWrite(
                    // A key lives until its bucket would be full again, then Redis drops it:
                    // memory follows the active clients only.
                    ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(
                        Duration.ofSeconds(10)))
                .build()
                .asAsync();
        proxiesFor = c;
      }
      return proxies;
    }
  }

  /** Counts a failed call; the first of an outage is logged. */
  private void noteFailure(Throwable e) {
    failures.increment();
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    if (!failing.getAndSet(true)) {
      LOG.warn(
          "Redis at {}: {}; rate limits fall back to onStoreFailure until it answers",
          where,
          cause instanceof TimeoutException
              ? "no answer within " + timeoutMillis + "ms"
              : String.valueOf(cause.getMessage()));
    }
  }
}
