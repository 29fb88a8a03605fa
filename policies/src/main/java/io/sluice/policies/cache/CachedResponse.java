package io.sluice.policies.cache;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * A stored response: status, headers and body as the backend sent them, when it was stored, the Age
 * it already had, how long it is fresh, and whether it may answer requests that carry credentials
 * ({@code public} or {@code s-maxage}).
 */
record CachedResponse(
    int status,
    MultiMap headers,
    Buffer body,
    long storedAtMillis,
    long initialAgeSeconds,
    long freshMillis,
    long staleMillis,
    boolean shareableWithCredentials,
    String route) {

  /** Seconds since the origin made it (RFC 9111 4.2.3, without clock skew corrections). */
  long ageSeconds(long nowMillis) {
    return initialAgeSeconds + Math.max(0, (nowMillis - storedAtMillis) / 1000);
  }

  boolean fresh(long nowMillis) {
    return nowMillis - storedAtMillis < freshMillis;
  }

  /** How long it has been stale (0 while fresh). */
  long staleForMillis(long nowMillis) {
    return Math.max(0, nowMillis - storedAtMillis - freshMillis);
  }

  /** What it weighs in the store: body, headers and a fixed overhead. */
  int weight() {
    long w = 128L + body.length();
    for (var h : headers) {
      w += h.getKey().length() + h.getValue().length() + 16;
    }
    return (int) Math.min(Integer.MAX_VALUE, w);
  }
}
