package io.sluice.policies.cache;

import io.sluice.api.Exchange;
import io.sluice.api.Phase;
import io.sluice.api.Policy;
import io.sluice.api.PolicyContext;
import io.sluice.api.PolicyFactory;
import io.sluice.api.SentResponse;
import io.sluice.api.Units;
import io.sluice.policies.RouteCounter;
import io.sluice.policies.Schemas;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * {@code cache}: answers GET and HEAD from stored responses, so that a repeat does not reach (and
 * is not paid for at) the backend. One store for the gateway ({@code gateway.cache.maxSize},
 * bytes).
 *
 * <pre>{@code
 * - cache: { ttl: 30s, vary: [ Accept, Accept-Language ], perPrincipal: false }
 * }</pre>
 *
 * <p>RFC 9111 as a shared cache: the response's Cache-Control decides ({@code no-store}, {@code
 * private}, {@code no-cache} are not stored; {@code s-maxage}, then {@code max-age}, then {@code
 * ttl} say how long), {@code Vary} picks variants ({@code *} is not stored), a {@code Set-Cookie}
 * is never stored, a request's {@code no-cache} or {@code max-age=0} goes to the backend (and the
 * answer is stored), {@code no-store} bypasses. A request with credentials is answered from, or
 * stored into, the shared store only for responses marked {@code public} or {@code s-maxage},
 * unless {@code perPrincipal} keys entries by principal. Concurrent misses of one key make one
 * backend request. Within {@code staleWhileRevalidate} a stale entry answers at once and a copy of
 * the request refreshes it in the background; within {@code staleIfError} it stands in for a failed
 * backend. Responses carry {@code Age} and {@code X-Cache: HIT|MISS|STALE}.
 */
public final class CachePolicyFactory implements PolicyFactory {

  static final String X_CACHE = "X-Cache";
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(CachePolicyFactory.class);

  /** Headers that belong to one exchange, not to the stored response. */
  private static final Set<String> NOT_STORED =
      Set.of(
          "x-request-id",
          "x-cache",
          "age",
          "content-length",
          "transfer-encoding",
          "connection",
          "keep-alive",
          "traceparent",
          "tracestate");

  private static final io.sluice.api.AttributeKey<Boolean> MISSED =
      io.sluice.api.AttributeKey.of("sluice.cache.missed");

  /** A stale entry this request may fall back on if the backend fails. */
  private static final io.sluice.api.AttributeKey<CachedResponse> FALLBACK =
      io.sluice.api.AttributeKey.of("sluice.cache.fallback");

  /** The response went out from a stale entry: it is not stored again. */
  private static final io.sluice.api.AttributeKey<Boolean> SERVED_STALE =
      io.sluice.api.AttributeKey.of("sluice.cache.servedStale");

  @Override
  public String name() {
    return "cache";
  }

  @Override
  public Phase phase() {
    return Phase.CACHE;
  }

  @Override
  public String configSchema() {
    return Schemas.load(CachePolicyFactory.class, "cache");
  }

  @Override
  public Policy create(JsonObject config, PolicyContext context) {
    long maxSize =
        context
            .gatewaySettings()
            .getJsonObject("cache", new JsonObject())
            .getLong("maxSize", 64L << 20);
    List<String> vary = new ArrayList<>();
    JsonArray v = config.getJsonArray("vary");
    if (v != null) {
      v.forEach(x -> vary.add(((String) x).toLowerCase(Locale.ROOT)));
    }
    Set<Integer> statuses =
        config.getJsonArray("statuses") == null
            ? Set.of(200)
            : config.getJsonArray("statuses").stream()
                .map(x -> ((Number) x).intValue())
                .collect(Collectors.toUnmodifiableSet());
    RouteCounter<Result> lookups =
        new RouteCounter<>(
            context,
            "sluice.cache.lookups",
            "GET and HEAD requests on cached routes, by result.",
            "result",
            Result.class,
            r -> r.label);
    ResponseCache store =
        context.checkOnly()
            ? null
            : ResponseCache.shared(context.vertx(), maxSize, context.meter());
    return new CachePolicy(
        store,
        context.routeId(),
        Units.duration(config.getString("ttl", "60s")),
        List.copyOf(vary),
        config.getBoolean("perPrincipal", false),
        statuses,
        Units.size(String.valueOf(config.getValue("maxEntrySize", "1MiB"))),
        Units.duration(config.getString("coalesceTimeout", "10s")).toMillis(),
        Units.duration(config.getString("staleWhileRevalidate", "0s")).toMillis(),
        Units.duration(config.getString("staleIfError", "0s")).toMillis(),
        lookups);
  }

  enum Result {
    HIT("hit"),
    STALE("stale"),
    MISS("miss"),
    COALESCED("coalesced"),
    REFRESH("refresh"),
    BYPASS("bypass");

    final String label;

    Result(String label) {
      this.label = label;
    }
  }

  static final class CachePolicy implements Policy {
    private final ResponseCache store;
    private final String route;
    private final long ttlMillis;
    private final List<String> vary;
    private final boolean perPrincipal;
    private final Set<Integer> statuses;
    private final long maxEntry;
    private final long coalesceMillis;
    private final long staleWhileRevalidateMillis;
    private final long staleIfErrorMillis;
    private final RouteCounter<Result> lookups;

    CachePolicy(
        ResponseCache store,
        String route,
        Duration ttl,
        List<String> vary,
        boolean perPrincipal,
        Set<Integer> statuses,
        long maxEntry,
        long coalesceMillis,
        long staleWhileRevalidateMillis,
        long staleIfErrorMillis,
        RouteCounter<Result> lookups) {
      this.store = store;
      this.route = route;
      this.ttlMillis = ttl.toMillis();
      this.vary = vary;
      this.perPrincipal = perPrincipal;
      this.statuses = statuses;
      this.maxEntry = maxEntry;
      this.coalesceMillis = coalesceMillis;
      this.staleWhileRevalidateMillis = staleWhileRevalidateMillis;
      this.staleIfErrorMillis = staleIfErrorMillis;
      this.lookups = lookups;
    }

    @Override
    public Future<Void> onRequest(Exchange ex) {
      String method = ex.method();
      boolean get = method.equals("GET");
      if (!get && !method.equals("HEAD")) {
        if (!method.equals("OPTIONS") && !method.equals("TRACE")) {
          invalidateOnSuccess(ex); // RFC 9111 4.4: an unsafe method makes the entry stale
        }
        return Future.succeededFuture();
      }
      CacheControl cc = CacheControl.parse(ex.requestHeaders().getAll("cache-control"));
      if (cc.noStore()) {
        count(Result.BYPASS);
        return Future.succeededFuture();
      }
      boolean credentials = credentials(ex);
      String primary = primaryKey(ex);
      if (get && ex.isBackgroundCopy()) {
        // The gateway's own copy of a request answered stale: to the backend, and kept.
        count(Result.REFRESH);
        leadMiss(ex, primary, credentials, true);
        return Future.succeededFuture();
      }
      boolean revalidate = cc.noCache() || cc.maxAge() == 0;
      CachedResponse found = lookup(ex, primary, credentials);
      long now = System.currentTimeMillis();
      if (found != null && !revalidate && found.fresh(now)) {
        count(Result.HIT);
        answer(ex, found, "HIT");
        return Future.succeededFuture();
      }
      if (found != null && found.staleForMillis(now) < staleIfErrorMillis) {
        ex.attribute(FALLBACK, found);
      }
      boolean swr =
          found != null
              && !revalidate
              && get
              && found.staleForMillis(now) < staleWhileRevalidateMillis;
      if (!get) {
        count(Result.MISS); // a HEAD miss goes on; HEAD answers have no body to store
        ex.attribute(MISSED, true);
        return Future.succeededFuture();
      }
      Future<CachedResponse> waiting = revalidate ? null : store.join(primary, coalesceMillis);
      if (waiting == null && swr) {
        // The stale copy at once; a copy of this request refreshes the entry in the background.
        count(Result.STALE);
        answer(ex, found, "STALE");
        ex.sendCopyInBackground()
            .onComplete(
                ar -> {
                  if (ar.failed()) {
                    LOG.debug(
                        "cache: background refresh of a stale entry failed: {}",
                        ar.cause().toString());
                  }
                  // Waiters look the entry up again, and go themselves if it is not fresh.
                  store.land(primary, ar.succeeded() ? found : null);
                });
        return Future.succeededFuture();
      }
      if (waiting == null) {
        count(Result.MISS);
        leadMiss(ex, primary, credentials, revalidate);
        return Future.succeededFuture();
      }
      if (swr) {
        // Someone is refreshing it: the stale copy now, rather than a wait.
        count(Result.STALE);
        answer(ex, found, "STALE");
        return Future.succeededFuture();
      }
      return waiting.compose(
          landed -> {
            // Looked up again rather than taken as is: when the response has its own Vary, the
            // leader's variant may not be this request's.
            CachedResponse mine = landed == null ? null : lookup(ex, primary, credentials);
            if (mine != null && mine.fresh(System.currentTimeMillis())) {
              count(Result.COALESCED);
              answer(ex, mine, "HIT");
            } else {
              count(Result.MISS);
              ex.attribute(MISSED, true);
              ex.onResponseSent(maxEntry, sent -> store(ex, primary, credentials, sent));
            }
            return Future.succeededFuture();
          });
    }

    private void leadMiss(Exchange ex, String primary, boolean credentials, boolean revalidate) {
      ex.attribute(MISSED, true);
      ex.onResponseSent(
          maxEntry,
          sent -> {
            CachedResponse stored = store(ex, primary, credentials, sent);
            if (!revalidate) {
              store.land(primary, stored);
            }
          });
    }

    @Override
    public Future<Void> onResponse(Exchange ex) {
      if (!Boolean.TRUE.equals(ex.attribute(MISSED))) {
        return Future.succeededFuture();
      }
      CachedResponse fallback = ex.attribute(FALLBACK);
      if (fallback != null
          && ex.responseStatus() >= 500
          && fallback.staleForMillis(System.currentTimeMillis()) < staleIfErrorMillis) {
        // staleIfError: the backend failed, timed out or was not called; the stale copy instead.
        count(Result.STALE);
        ex.attribute(SERVED_STALE, true);
        ex.replaceResponse(fallback.status(), headers(fallback, "STALE"), fallback.body());
        return Future.succeededFuture();
      }
      ex.responseHeaders().set(X_CACHE, "MISS");
      return Future.succeededFuture();
    }

    private CachedResponse lookup(Exchange ex, String primary, boolean credentials) {
      Object found = store.get(primary);
      if (found instanceof ResponseCache.Variants variants) {
        found = store.get(primary + "\n" + variantValues(ex, variants.headers()));
      }
      if (!(found instanceof CachedResponse r)) {
        return null;
      }
      if (credentials && !perPrincipal && !r.shareableWithCredentials()) {
        return null;
      }
      return r;
    }

    private void answer(Exchange ex, CachedResponse r, String how) {
      ex.respond(r.status(), headers(r, how), r.body());
    }

    private static MultiMap headers(CachedResponse r, String how) {
      MultiMap headers = MultiMap.caseInsensitiveMultiMap().addAll(r.headers());
      headers.set("Age", String.valueOf(r.ageSeconds(System.currentTimeMillis())));
      headers.set(X_CACHE, how);
      return headers;
    }

    /** Keeps the response when the rules allow it; returns it, or null. */
    private CachedResponse store(
        Exchange ex, String primary, boolean credentials, SentResponse sent) {
      if (!sent.complete()
          || sent.body() == null
          || !statuses.contains(sent.status())
          || Boolean.TRUE.equals(ex.attribute(SERVED_STALE))) {
        return null;
      }
      MultiMap h = sent.headers();
      if (h.contains("set-cookie")) {
        return null;
      }
      CacheControl cc = CacheControl.parse(h.getAll("cache-control"));
      boolean principalKeyed = perPrincipal && ex.principal() != null;
      if (cc.noStore() || cc.noCache() || (cc.isPrivate() && !principalKeyed)) {
        return null;
      }
      boolean shareable = cc.isPublic() || cc.sMaxAge() >= 0;
      if (credentials && !perPrincipal && !shareable) {
        return null;
      }
      List<String> responseVary = varyOf(h);
      if (responseVary == null) {
        return null; // Vary: *
      }
      long freshness =
          cc.sMaxAge() >= 0
              ? cc.sMaxAge() * 1000
              : cc.maxAge() >= 0 ? cc.maxAge() * 1000 : ttlMillis;
      long initialAge = age(h.get("age"));
      long fresh = freshness - initialAge * 1000;
      if (fresh <= 0) {
        return null;
      }
      MultiMap kept = MultiMap.caseInsensitiveMultiMap();
      h.forEach(
          e -> {
            if (!NOT_STORED.contains(e.getKey().toLowerCase(Locale.ROOT))) {
              kept.add(e.getKey(), e.getValue());
            }
          });
      CachedResponse r =
          new CachedResponse(
              sent.status(),
              kept,
              sent.body(),
              System.currentTimeMillis(),
              initialAge,
              fresh,
              Math.max(staleWhileRevalidateMillis, staleIfErrorMillis),
              shareable,
              route);
      if (responseVary.isEmpty()) {
        store.put(primary, r);
      } else {
        store.put(primary, new ResponseCache.Variants(responseVary));
        store.put(primary + "\n" + variantValues(ex, responseVary), r);
      }
      return r;
    }

    /** After a successful unsafe request, the entries of its URL are dropped. */
    private void invalidateOnSuccess(Exchange ex) {
      String primary = primaryKey(ex);
      ex.onResponseSent(
          0,
          sent -> {
            if (sent.status() < 400) {
              store.remove(primary);
            }
          });
    }

    /**
     * Host, path, the query with its parameters in order, the configured vary headers, and the
     * principal when entries are per principal. Method-independent: HEAD reads GET's entries.
     */
    private String primaryKey(Exchange ex) {
      StringBuilder sb = new StringBuilder(128).append(route).append('\n');
      String host = ex.requestHeaders().get("host");
      sb.append(host == null ? "" : host.toLowerCase(Locale.ROOT)).append('\n');
      sb.append(ex.path()).append('?').append(normalizedQuery(ex.rawQuery())).append('\n');
      sb.append(variantValues(ex, vary));
      if (perPrincipal) {
        sb.append('\n').append(ex.principal() == null ? "-" : "p:" + ex.principal());
      }
      return sb.toString();
    }

    private static String variantValues(Exchange ex, List<String> headers) {
      if (headers.isEmpty()) {
        return "";
      }
      StringBuilder sb = new StringBuilder();
      for (String name : headers) {
        List<String> values = ex.requestHeaders().getAll(name);
        sb.append(name).append('=').append(String.join(",", values).trim()).append('\u0001');
      }
      return sb.toString();
    }

    /** The response's Vary names, lower case and sorted; null for {@code Vary: *}. */
    static List<String> varyOf(MultiMap headers) {
      TreeSet<String> names = new TreeSet<>();
      for (String v : headers.getAll("vary")) {
        for (String n : v.split(",")) {
          String t = n.trim().toLowerCase(Locale.ROOT);
          if (t.equals("*")) {
            return null;
          }
          if (!t.isEmpty()) {
            names.add(t);
          }
        }
      }
      return List.copyOf(names);
    }

    /** The query's parameters sorted (as sent, still encoded): ?b=2&a=1 and ?a=1&b=2 are one. */
    static String normalizedQuery(String raw) {
      if (raw == null || raw.isEmpty()) {
        return "";
      }
      String[] parts = raw.split("&");
      Arrays.sort(parts);
      return String.join("&", parts);
    }

    private static boolean credentials(Exchange ex) {
      return ex.requestHeaders().contains("authorization") || ex.principal() != null;
    }

    private static long age(String value) {
      if (value == null) {
        return 0;
      }
      try {
        return Math.max(0, Long.parseLong(value.trim()));
      } catch (NumberFormatException e) {
        return 0;
      }
    }

    private void count(Result r) {
      lookups.add(r);
    }

    @Override
    public String toString() {
      return "cache";
    }
  }
}
