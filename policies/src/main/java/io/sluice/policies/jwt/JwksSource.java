package io.sluice.policies.jwt;

import com.github.benmanes.caffeine.cache.AsyncCacheLoader;
import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys an IdP publishes at a JWKS URL. Fetched with Vert.x's HTTP client (never blocking an
 * event loop; the document is parsed on a worker) and held in a Caffeine loading cache that
 * refreshes it in the background once {@code refresh} has passed, serving the current keys
 * meanwhile. A failed refresh keeps the last good key set. Fetches are rate-limited: after a failed
 * attempt, and for tokens naming an unknown {@code kid}, at most one per {@code minRefetch}.
 */
final class JwksSource implements KeySource {

  private static final Logger LOG = LoggerFactory.getLogger(JwksSource.class);
  private static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("outcome");
  private static final Attributes SUCCESS = Attributes.of(OUTCOME, "success");
  private static final Attributes FAILURE = Attributes.of(OUTCOME, "failure");
  static final int MAX_DOCUMENT_BYTES = 1 << 20;

  private final Vertx vertx;
  private final HttpClient client;
  private final String url;
  private final long minRefetchNanos;
  private final long timeoutMillis;
  private final AsyncLoadingCache<String, KeySet> cache;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private final AtomicBoolean failing = new AtomicBoolean();
  private volatile long lastAttemptNanos;
  private volatile boolean attempted;
  private final LongCounter fetches;

  JwksSource(
      Vertx vertx,
      HttpClient client,
      String url,
      Duration refresh,
      Duration minRefetch,
      Duration timeout,
      LongCounter fetches) {
    this.vertx = vertx;
    this.fetches = fetches;
    this.client = client;
    this.url = url;
    this.minRefetchNanos = minRefetch.toNanos();
    this.timeoutMillis = timeout.toMillis();
    Executor direct = Runnable::run; // the loader only starts a non-blocking fetch
    this.cache =
        Caffeine.newBuilder()
            .refreshAfterWrite(refresh)
            .executor(direct)
            .buildAsync(
                new AsyncCacheLoader<String, KeySet>() {
                  @Override
                  public CompletableFuture<KeySet> asyncLoad(String key, Executor executor) {
                    return fetch(null).toCompletionStage().toCompletableFuture();
                  }

                  @Override
                  public CompletableFuture<KeySet> asyncReload(
                      String key, KeySet old, Executor executor) {
                    // A failed refresh keeps the keys there are (the IdP may be down for a while).
                    return fetch(old).otherwise(e -> old).toCompletionStage().toCompletableFuture();
                  }
                });
  }

  /** Starts the first fetch, so that the first request finds the keys. */
  JwksSource prefetch() {
    load();
    return this;
  }

  @Override
  public KeySet current() {
    // Reading through the cache is what lets Caffeine start a refresh when one is due.
    CompletableFuture<KeySet> f = cache.getIfPresent(url);
    if (f != null && f.isDone() && !f.isCompletedExceptionally()) {
      return f.join();
    }
    return null;
  }

  @Override
  public Future<KeySet> load() {
    CompletableFuture<KeySet> f = cache.getIfPresent(url);
    if (f == null) {
      long wait = throttled();
      if (wait > 0) {
        return Future.failedFuture(
            new KeysUnavailable("no keys from " + url + " yet", toSeconds(wait)));
      }
      f = cache.get(url);
    }
    return Future.fromCompletionStage(f)
        .recover(
            e ->
                Future.failedFuture(
                    e instanceof KeysUnavailable
                        ? e
                        : new KeysUnavailable(
                            "no keys from " + url + ": " + e.getMessage(),
                            toSeconds(minRefetchNanos))));
  }

  @Override
  public Future<KeySet> refetch() {
    KeySet now = current();
    if (now == null) {
      return load();
    }
    if (throttled() > 0) {
      return Future.succeededFuture(now);
    }
    return Future.fromCompletionStage(cache.synchronous().refresh(url));
  }

  @Override
  public void onChange(Runnable listener) {
    listeners.add(listener);
  }

  /** Nanoseconds until another fetch is allowed, or 0. */
  private long throttled() {
    if (!attempted) {
      return 0;
    }
    long left = minRefetchNanos - (System.nanoTime() - lastAttemptNanos);
    return Math.max(0, left);
  }

  private void markAttempt() {
    lastAttemptNanos = System.nanoTime();
    attempted = true;
  }

  private static long toSeconds(long nanos) {
    return Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
  }

  /**
   * One GET of the document, parsed on a worker thread. With the keys there are ({@code old}, null
   * on the first fetch): completes with {@code old} itself when nothing changed, so that what was
   * built from it stays.
   */
  private Future<KeySet> fetch(KeySet old) {
    markAttempt();
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setAbsoluteURI(url)
            .setFollowRedirects(true)
            .setConnectTimeout(timeoutMillis)
            .setIdleTimeout(timeoutMillis)
            .putHeader(HttpHeaders.ACCEPT, "application/jwk-set+json, application/json");
    return client
        .request(options)
        .compose(req -> req.send())
        .compose(
            res -> {
              if (res.statusCode() != 200) {
                res.end();
                return Future.failedFuture("HTTP " + res.statusCode());
              }
              String length = res.getHeader(HttpHeaders.CONTENT_LENGTH);
              if (length != null
                  && length.length() < 12
                  && Long.parseLong(length) > MAX_DOCUMENT_BYTES) {
                res.request().reset();
                return Future.failedFuture("the document is larger than 1 MiB");
              }
              return res.body();
            })
        .compose(this::parse)
        .map(set -> adopt(old, set))
        .onComplete(
            ar -> {
              fetches.add(1, ar.succeeded() ? SUCCESS : FAILURE);
              if (ar.succeeded()) {
                if (failing.getAndSet(false)) {
                  LOG.info("JWKS {}: fetched again", url);
                }
              } else if (!failing.getAndSet(true)) {
                LOG.warn(
                    "JWKS {}: cannot fetch ({}); {}",
                    url,
                    ar.cause().getMessage(),
                    old == null
                        ? "tokens cannot be verified until it can"
                        : "keeping the last good key set");
              }
            });
  }

  /** A parsed document and what did not load from it. */
  private record Parsed(KeySet set, List<String> warnings) {}

  private Future<Parsed> parse(Buffer body) {
    if (body.length() > MAX_DOCUMENT_BYTES) {
      return Future.failedFuture("the document is larger than 1 MiB");
    }
    return vertx.executeBlocking(
        () -> {
          List<String> warnings = new ArrayList<>();
          try {
            KeySet set = KeySet.parseJwks(body.toString(StandardCharsets.UTF_8), warnings::add);
            return new Parsed(set, warnings);
          } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a usable JWKS: " + e.getMessage(), e);
          }
        },
        false);
  }

  /** The fetched keys, or {@code old} when they are the same; a change is logged and announced. */
  private KeySet adopt(KeySet old, Parsed fetched) {
    if (fetched.set().sameKeysAs(old)) {
      return old;
    }
    fetched.warnings().forEach(w -> LOG.warn("JWKS {}: {}", url, w));
    LOG.info(
        "JWKS {}: {} keys {}",
        url,
        fetched.set().keys().size(),
        old == null ? "loaded" : "changed");
    if (old != null) {
      listeners.forEach(Runnable::run);
    }
    return fetched.set();
  }
}
