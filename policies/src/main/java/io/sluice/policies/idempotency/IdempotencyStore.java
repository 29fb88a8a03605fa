package io.sluice.policies.idempotency;

import io.vertx.core.Future;

/**
 * Where idempotency records live: this gateway's memory, or Redis for every gateway. A record is
 * "running" (the first request with the key is under way; it expires after the lock timeout, so a
 * request that never finishes does not hold its key for ever) or "done" (its response, kept for the
 * ttl).
 */
interface IdempotencyStore {

  /** What {@link #begin} found. */
  sealed interface Claim permits Owner, InFlight, Mismatch, Replay {}

  /** The key is new: this request runs, and must {@link #complete} or {@link #release} it. */
  record Owner() implements Claim {}

  /** The first request with this key is still running. */
  record InFlight() implements Claim {}

  /** The key was used with another payload. */
  record Mismatch() implements Claim {}

  /** The first request's response. */
  record Replay(StoredResponse response) implements Claim {}

  /** Claims the key for this request, atomically; on the caller's Vert.x context. */
  Future<Claim> begin(String key, String fingerprint);

  /** Keeps the response of the request that owns the key. */
  void complete(String key, String fingerprint, StoredResponse response);

  /** Gives up the key of a request whose response is not kept: a retry runs again. */
  void release(String key, String fingerprint);
}
