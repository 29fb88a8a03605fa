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
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
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
 * waits for another's answer). Each call has {@code timeout}; a failed or late call is a store
 * failure, for the policy's fallback. Connects in the background and again after a failure; one log
 * line when Redis goes away and one when it is back, however many requests fall back between.
 */
final class RedisStore {

  private static final Logger LOG = LoggerFactory.getLogger(RedisStore.class);
  private static final long RECONNECT_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final RedisURI uri;
  private final String where;
  private final long timeoutMillis;
  private final boolean batching;
  private final ClientResources resources;
  private final RedisClient client;
  private final AtomicBoolean failing = new AtomicBoolean();
  private final LongAdder failures = new LongAdder();
  private final Cache<ByteBuffer, AsyncBucketProxy> buckets =
      Caffeine.newBuilder()
          .maximumSize(100_000)
          .expireAfterAccess(Duration.ofMinutes(1))
          .executor(Runnable::run)
          .build();
  private volatile AsyncProxyManager<byte[]> proxies;
  private volatile StatefulRedisConnection<byte[], byte[]> connection;
  private volatile CompletableFuture<?> connecting;
  private volatile long lastConnectNanos;

  RedisStore(String url, Duration timeout, boolean batching) {
    this.uri = RedisURI.create(url);
    this.where = uri.getHost() + ":" + uri.getPort(); // never the password
    this.timeoutMillis = timeout.toMillis();
    this.batching = batching;
    this.resources =
        DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(1).build();
    this.client = RedisClient.create(resources, uri);
    client.setOptions(
        ClientOptions.builder()
            .autoReconnect(true)
            // While disconnected, fail at once instead of queueing until the timeout.
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .timeoutOptions(TimeoutOptions.enabled(timeout))
            .build());
    connect();
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
    return attempt(key, configuration)
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

  private CompletableFuture<VerboseResult<ConsumptionProbe>> attempt(
      byte[] key, BucketConfiguration configuration) {
    AsyncProxyManager<byte[]> p = proxies;
    if (p == null) {
      connect();
      CompletableFuture<?> c = connecting;
      if (c == null || c.isDone()) {
        return CompletableFuture.failedFuture(
            new IllegalStateException("not connected to Redis at " + where));
      }
      // Connecting right now (at start, or Redis just came back): wait for it, within the timeout.
      return c.thenCompose(x -> attempt(key, configuration));
    }
    // One proxy per key, kept while the key is in use: bucket4j batches concurrent calls per proxy.
    AsyncBucketProxy bucket =
        buckets.get(
            ByteBuffer.wrap(key),
            k -> {
              var builder = p.builder();
              if (batching) {
                // Concurrent requests for one key in this gateway share one compare-and-swap.
                builder = builder.withOptimization(Optimizations.batching());
              }
              return builder.build(key, () -> CompletableFuture.completedFuture(configuration));
            });
    return bucket.asVerbose().tryConsumeAndReturnRemaining(1);
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

  /** Connects in the background, at most once a second while there is no connection. */
  private synchronized void connect() {
    if (proxies != null || (connecting != null && !connecting.isDone())) {
      return;
    }
    long now = System.nanoTime();
    if (connecting != null && now - lastConnectNanos < RECONNECT_NANOS) {
      return;
    }
    lastConnectNanos = now;
    connecting =
        client
            .connectAsync(ByteArrayCodec.INSTANCE, uri)
            .toCompletableFuture()
            .whenComplete(
                (c, e) -> {
                  if (e != null) {
                    return; // the calls waiting for it fail, and say so
                  }
                  connection = c;
                  proxies =
                      Bucket4jLettuce.casBasedBuilder(c)
                          .expirationAfterWrite(
                              // A key lives until its bucket would be full again, then Redis
                              // drops it: memory follows the active clients only.
                              ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(
                                  Duration.ofSeconds(10)))
                          .build()
                          .asAsync();
                });
  }

  /** Closes the connection and Lettuce's threads. */
  void close() {
    StatefulRedisConnection<byte[], byte[]> c = connection;
    if (c != null) {
      c.closeAsync();
    }
    client
        .shutdownAsync(0, 2, TimeUnit.SECONDS)
        .whenComplete((v, e) -> resources.shutdown(0, 2, TimeUnit.SECONDS));
  }
}
