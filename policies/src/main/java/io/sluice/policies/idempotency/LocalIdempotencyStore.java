package io.sluice.policies.idempotency;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Idempotency records in this gateway's memory (Caffeine), bounded in bytes: a key being worked on
 * expires after the lock timeout (a crashed request does not hold its key for ever), a finished one
 * after the ttl. Thread-safe: every change is one atomic compute on the key.
 */
final class LocalIdempotencyStore implements IdempotencyStore {

  private sealed interface Entry permits Running, Done {
    String fingerprint();
  }

  private record Running(String fingerprint) implements Entry {}

  private record Done(String fingerprint, StoredResponse response) implements Entry {}

  private final Cache<String, Entry> entries;

  LocalIdempotencyStore(long maxBytes, Duration ttl, Duration lockTimeout) {
    long ttlNanos = ttl.toNanos();
    long lockNanos = lockTimeout.toNanos();
    this.entries =
        Caffeine.newBuilder()
            .maximumWeight(maxBytes)
            .<String, Entry>weigher(
                (k, e) -> k.length() + (e instanceof Done d ? d.response().weight() : 64))
            .expireAfter(
                new Expiry<String, Entry>() {
                  @Override
                  public long expireAfterCreate(String k, Entry e, long now) {
                    return e instanceof Done ? ttlNanos : lockNanos;
                  }

                  @Override
                  public long expireAfterUpdate(String k, Entry e, long now, long left) {
                    return e instanceof Done ? ttlNanos : lockNanos;
                  }

                  @Override
                  public long expireAfterRead(String k, Entry e, long now, long left) {
                    return left;
                  }
                })
            .build();
  }

  @Override
  public Future<Claim> begin(String key, String fingerprint) {
    AtomicReference<Claim> claim = new AtomicReference<>();
    entries
        .asMap()
        .compute(
            key,
            (k, e) -> {
              if (e == null) {
                claim.set(new Owner());
                return new Running(fingerprint);
              }
              if (!e.fingerprint().equals(fingerprint)) {
                claim.set(new Mismatch());
              } else if (e instanceof Done d) {
                claim.set(new Replay(d.response()));
              } else {
                claim.set(new InFlight());
              }
              return e;
            });
    return Future.succeededFuture(claim.get());
  }

  @Override
  public void complete(String key, String fingerprint, StoredResponse response) {
    entries.asMap().put(key, new Done(fingerprint, response));
  }

  @Override
  public void release(String key, String fingerprint) {
    entries.asMap().computeIfPresent(key, (k, e) -> e instanceof Running ? null : e);
  }
}
