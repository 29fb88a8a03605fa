package io.sluice.policies.idempotency;

import io.sluice.api.Exchange;
import io.sluice.api.Phase;
import io.sluice.api.Policy;
import io.sluice.api.PolicyContext;
import io.sluice.api.PolicyFactory;
import io.sluice.api.Problem;
import io.sluice.api.SentResponse;
import io.sluice.api.Units;
import io.sluice.policies.RouteCounter;
import io.sluice.policies.Schemas;
import io.sluice.policies.redis.RedisConnection;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code idempotency}: the IETF Idempotency-Key draft. The first request with a key runs and its
 * response is kept; a repeat with the same payload gets that response again ({@code
 * Idempotent-Replayed: true}) without reaching the backend; the same key with another payload is
 * 422, and while the first is still running 409. Keys are scoped to the route and the principal.
 *
 * <pre>{@code
 * - idempotency: { ttl: 24h, required: false, store: local }
 * }</pre>
 */
public final class IdempotencyPolicyFactory implements PolicyFactory {

  static final String HEADER = "Idempotency-Key";
  static final String REPLAYED = "Idempotent-Replayed";

  static final Problem MISSING =
      Problem.of(
          400,
          "idempotency-key-missing",
          "Bad Request",
          "This operation needs an Idempotency-Key header.");
  static final Problem MALFORMED =
      Problem.of(
          400,
          "idempotency-key-malformed",
          "Bad Request",
          "The Idempotency-Key must be 1 to 255 visible characters.");
  static final Problem IN_FLIGHT =
      Problem.of(
          409,
          "idempotency-key-in-use",
          "Conflict",
          "A request with this Idempotency-Key is still being processed; retry later.");
  static final Problem REUSED =
      Problem.of(
          422,
          "idempotency-key-reused",
          "Unprocessable Content",
          "This Idempotency-Key was used for a different request.");

  static final Problem UNAVAILABLE =
      Problem.of(
          503,
          "idempotency-store-unavailable",
          "Service Unavailable",
          "Idempotent requests cannot be checked right now; retry shortly.");

  /** Response headers that belong to one exchange, not to the stored response. */
  private static final Set<String> NOT_STORED =
      Set.of(
          "x-request-id",
          "date",
          "content-length",
          "transfer-encoding",
          "connection",
          "keep-alive",
          "set-cookie");

  @Override
  public String name() {
    return "idempotency";
  }

  @Override
  public Phase phase() {
    return Phase.CACHE;
  }

  @Override
  public String configSchema() {
    return Schemas.load(IdempotencyPolicyFactory.class, "idempotency");
  }

  @Override
  public Policy create(JsonObject config, PolicyContext context) {
    Duration ttl = Units.duration(config.getString("ttl", "24h"));
    Duration lock = Units.duration(config.getString("lockTimeout", "1m"));
    long maxSize = size(config.getValue("maxSize"), 64L * 1024 * 1024);
    long maxResponse = size(config.getValue("maxResponseSize"), 1024L * 1024);
    Set<String> methods =
        config.getJsonArray("methods") == null
            ? Set.of("POST", "PATCH")
            : config.getJsonArray("methods").stream()
                .map(m -> ((String) m).toUpperCase(Locale.ROOT))
                .collect(Collectors.toUnmodifiableSet());
    RouteCounter<Outcome> counter =
        new RouteCounter<>(
            context,
            "sluice.idempotency.requests",
            "Requests with an Idempotency-Key, by what became of them.",
            "outcome",
            Outcome.class,
            o -> o.label);
    IdempotencyStore store;
    RedisConnection redis =
        "redis".equals(config.getString("store", "local"))
            ? RedisConnection.forPolicy(context)
            : null;
    if (redis != null) {
      store = new RedisIdempotencyStore(context.vertx(), redis, ttl, lock);
    } else {
      store = new LocalIdempotencyStore(maxSize, ttl, lock);
    }
    return new Idempotency(
        store, config.getBoolean("required", false), methods, maxResponse, counter);
  }

  private static long size(Object v, long dflt) {
    if (v == null) {
      return dflt;
    }
    return v instanceof Number n ? n.longValue() : Units.size(String.valueOf(v));
  }

  enum Outcome {
    FIRST("first"),
    REPLAYED("replayed"),
    IN_FLIGHT("in_flight"),
    MISMATCH("mismatch"),
    NOT_STORED("not_stored");

    final String label;

    Outcome(String label) {
      this.label = label;
    }
  }

  static final class Idempotency implements Policy {
    private final IdempotencyStore store;
    private final boolean required;
    private final Set<String> methods;
    private final long maxResponse;
    private final RouteCounter<Outcome> counter;

    Idempotency(
        IdempotencyStore store,
        boolean required,
        Set<String> methods,
        long maxResponse,
        RouteCounter<Outcome> counter) {
      this.store = store;
      this.required = required;
      this.methods = methods;
      this.maxResponse = maxResponse;
      this.counter = counter;
    }

    @Override
    public boolean needsRequestBody() {
      return true; // the payload is part of what must match
    }

    @Override
    public Future<Void> onRequest(Exchange ex) {
      if (!methods.contains(ex.method())) {
        return Future.succeededFuture();
      }
      String raw = ex.requestHeaders().get(HEADER);
      if (raw == null) {
        if (required) {
          ex.respond(MISSING);
        }
        return Future.succeededFuture();
      }
      String key = key(raw);
      if (key == null) {
        ex.respond(MALFORMED);
        return Future.succeededFuture();
      }
      String scoped = scope(ex.routeId(), ex.principal(), key);
      String fingerprint = fingerprint(ex);
      return store
          .begin(scoped, fingerprint)
          .transform(
              ar -> {
                if (ar.failed()) {
                  ex.respond(
                      UNAVAILABLE, MultiMap.caseInsensitiveMultiMap().add("Retry-After", "1"));
                } else {
                  claimed(ex, scoped, fingerprint, ar.result());
                }
                return Future.succeededFuture();
              });
    }

    private void claimed(
        Exchange ex, String scoped, String fingerprint, IdempotencyStore.Claim claim) {
      if (claim instanceof IdempotencyStore.Owner) {
        count(Outcome.FIRST);
        ex.onResponseSent(maxResponse, sent -> finished(scoped, fingerprint, sent));
      } else if (claim instanceof IdempotencyStore.Replay r) {
        count(Outcome.REPLAYED);
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().addAll(r.response().headers());
        headers.set(REPLAYED, "true");
        ex.respond(r.response().status(), headers, r.response().body().copy());
      } else if (claim instanceof IdempotencyStore.InFlight) {
        count(Outcome.IN_FLIGHT);
        ex.respond(IN_FLIGHT, MultiMap.caseInsensitiveMultiMap().add("Retry-After", "1"));
      } else {
        count(Outcome.MISMATCH);
        ex.respond(REUSED);
      }
    }

    /**
     * The first request is over: its response is kept when it is a final answer (below 500, not a
     * 408, 409 or 429, which say "try again") and was sent whole within the size limit; otherwise
     * the key is given up, so that a retry runs again.
     */
    private void finished(String key, String fingerprint, SentResponse sent) {
      int s = sent.status();
      boolean keep =
          sent.complete() && sent.body() != null && s < 500 && s != 408 && s != 409 && s != 429;
      if (!keep) {
        count(Outcome.NOT_STORED);
        store.release(key, fingerprint);
        return;
      }
      MultiMap headers = MultiMap.caseInsensitiveMultiMap();
      sent.headers()
          .forEach(
              h -> {
                if (!NOT_STORED.contains(h.getKey().toLowerCase(Locale.ROOT))) {
                  headers.add(h.getKey(), h.getValue());
                }
              });
      store.complete(key, fingerprint, new StoredResponse(s, headers, sent.body()));
    }

    private void count(Outcome o) {
      counter.add(o);
    }

    /**
     * The key: an sf-string as the draft writes it ({@code "8e03978e-..."}) or, as many clients
     * send it, bare; 1 to 255 visible ASCII characters. Null when it is not.
     */
    static String key(String raw) {
      String k = raw.trim();
      if (k.length() >= 2 && k.startsWith("\"") && k.endsWith("\"")) {
        k = k.substring(1, k.length() - 1);
      }
      if (k.isEmpty() || k.length() > 255) {
        return null;
      }
      for (int i = 0; i < k.length(); i++) {
        char c = k.charAt(i);
        if (c < 0x21 || c > 0x7e) {
          return null;
        }
      }
      return k;
    }

    /** Route, principal and key, hashed: one client can never hit another's record. */
    static String scope(String route, String principal, String key) {
      return sha256(route + "\n" + (principal == null ? "" : principal) + "\n" + key);
    }

    /** What must match for a replay: method, path, query and body. */
    static String fingerprint(Exchange ex) {
      try {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        d.update(
            (ex.method() + " " + ex.path() + "?" + ex.rawQuery() + "\n")
                .getBytes(StandardCharsets.UTF_8));
        Buffer body = ex.body();
        if (body != null) {
          d.update(body.getBytes());
        }
        return HexFormat.of().formatHex(d.digest());
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    private static String sha256(String s) {
      try {
        return HexFormat.of()
            .formatHex(
                MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public String toString() {
      return "idempotency";
    }
  }
}
