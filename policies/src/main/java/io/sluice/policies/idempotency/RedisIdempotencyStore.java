package io.sluice.policies.idempotency;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.sluice.policies.redis.RedisConnection;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Idempotency records in Redis, shared by every gateway on the same server: a key is claimed with
 * one atomic {@code SET key running NX PX lock GET} (Redis 7), which also returns the record when
 * there is one; a finished request's response replaces it for the ttl; a key given up is deleted
 * only while it still holds this request's own "running" record (a script compares and deletes).
 */
final class RedisIdempotencyStore implements IdempotencyStore {

  private static final Logger LOG = LoggerFactory.getLogger(RedisIdempotencyStore.class);
  private static final String PREFIX = "sluice:idempotency:";
  private static final String DELETE_IF =
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end"
          + " return 0";

  private final Vertx vertx;
  private final RedisConnection redis;
  private final long ttlMillis;
  private final long lockMillis;
  private final AtomicBoolean failing = new AtomicBoolean();

  RedisIdempotencyStore(Vertx vertx, RedisConnection redis, Duration ttl, Duration lock) {
    this.vertx = vertx;
    this.redis = redis;
    this.ttlMillis = ttl.toMillis();
    this.lockMillis = lock.toMillis();
  }

  private static byte[] key(String key) {
    return (PREFIX + key).getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] running(String fingerprint) {
    return ("R|" + fingerprint).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public Future<Claim> begin(String key, String fingerprint) {
    Context context = vertx.getOrCreateContext();
    var found =
        redis
            .get()
            .thenCompose(
                c ->
                    c.async()
                        .setGet(key(key), running(fingerprint), SetArgs.Builder.nx().px(lockMillis))
                        .toCompletableFuture())
            .orTimeout(redis.timeoutMillis(), TimeUnit.MILLISECONDS)
            .whenComplete((v, e) -> noted(e));
    return Future.fromCompletionStage(found, context).map(old -> claim(old, fingerprint));
  }

  /** What the record found says, for a request with this fingerprint (null: none, now ours). */
  static Claim claim(byte[] old, String fingerprint) {
    if (old == null) {
      return new Owner();
    }
    String record = new String(old, StandardCharsets.UTF_8);
    if (record.startsWith("R|")) {
      return record.substring(2).equals(fingerprint) ? new InFlight() : new Mismatch();
    }
    // D|fingerprint|json
    int bar = record.indexOf('|', 2);
    if (!record.startsWith("D|") || bar < 0) {
      return new Mismatch(); // not ours to read: never replay what we cannot vouch for
    }
    if (!record.substring(2, bar).equals(fingerprint)) {
      return new Mismatch();
    }
    return new Replay(decode(new JsonObject(record.substring(bar + 1))));
  }

  @Override
  public void complete(String key, String fingerprint, StoredResponse response) {
    byte[] value =
        ("D|" + fingerprint + "|" + encode(response).encode()).getBytes(StandardCharsets.UTF_8);
    redis
        .get()
        .thenCompose(
            c ->
                c.async().set(key(key), value, SetArgs.Builder.px(ttlMillis)).toCompletableFuture())
        .orTimeout(redis.timeoutMillis(), TimeUnit.MILLISECONDS)
        .whenComplete((v, e) -> noted(e));
  }

  @Override
  public void release(String key, String fingerprint) {
    redis
        .get()
        .thenCompose(
            c ->
                c.async()
                    .<Long>eval(
                        DELETE_IF,
                        ScriptOutputType.INTEGER,
                        new byte[][] {key(key)},
                        running(fingerprint))
                    .toCompletableFuture())
        .orTimeout(redis.timeoutMillis(), TimeUnit.MILLISECONDS)
        .whenComplete((v, e) -> noted(e));
  }

  /** One log line when Redis fails, one when it answers again. */
  private void noted(Throwable e) {
    if (e != null) {
      if (!failing.getAndSet(true)) {
        LOG.warn(
            "Redis at {}: {}; idempotent requests get 503 until it answers",
            redis.where(),
            e instanceof java.util.concurrent.TimeoutException
                ? "no answer within " + redis.timeoutMillis() + "ms"
                : String.valueOf(e.getMessage()));
      }
    } else if (failing.getAndSet(false)) {
      LOG.info("Redis at {}: answering again", redis.where());
    }
  }

  static JsonObject encode(StoredResponse r) {
    JsonArray headers = new JsonArray();
    r.headers().forEach(h -> headers.add(new JsonArray().add(h.getKey()).add(h.getValue())));
    return new JsonObject()
        .put("status", r.status())
        .put("headers", headers)
        .put("body", Base64.getEncoder().encodeToString(r.body().getBytes()));
  }

  static StoredResponse decode(JsonObject o) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    for (Object h : o.getJsonArray("headers")) {
      JsonArray pair = (JsonArray) h;
      headers.add(pair.getString(0), pair.getString(1));
    }
    return new StoredResponse(
        o.getInteger("status"),
        headers,
        Buffer.buffer(Base64.getDecoder().decode(o.getString("body"))));
  }
}
