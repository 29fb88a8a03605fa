package io.sluice.policies.jwt;

import io.vertx.core.Future;

/** Where a policy's verification keys come from: the route file, or an IdP's JWKS. */
interface KeySource {

  /** The keys now, or null when none have been loaded yet. */
  KeySet current();

  /**
   * The keys, loading them first when there are none yet. Fails fast with {@link KeysUnavailable}
   * when the last attempt failed less than the minimum interval ago.
   */
  Future<KeySet> load();

  /**
   * For a token whose {@code kid} is not in {@link #current()}: fetches the keys again, unless that
   * was done less than the minimum interval ago (then completes with the keys there are), so that a
   * stream of made-up kids never becomes a stream of fetches.
   */
  Future<KeySet> refetch();

  /** Called after the keys changed (verified tokens may need to be checked again). */
  void onChange(Runnable listener);

  /** No keys, and no fetch allowed before {@code retryAfterSeconds}. */
  final class KeysUnavailable extends RuntimeException {
    final long retryAfterSeconds;

    KeysUnavailable(String message, long retryAfterSeconds) {
      super(message, null, false, false);
      this.retryAfterSeconds = retryAfterSeconds;
    }
  }

  /** Keys from the route file: loaded once, never changing. */
  record Fixed(KeySet keys) implements KeySource {
    @Override
    public KeySet current() {
      return keys;
    }

    @Override
    public Future<KeySet> load() {
      return Future.succeededFuture(keys);
    }

    @Override
    public Future<KeySet> refetch() {
      return Future.succeededFuture(keys);
    }

    @Override
    public void onChange(Runnable listener) {}
  }
}
