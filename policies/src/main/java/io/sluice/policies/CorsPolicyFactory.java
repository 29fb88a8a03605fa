package io.sluice.policies;

import io.sluice.api.AttributeKey;
import io.sluice.api.Exchange;
import io.sluice.api.Phase;
import io.sluice.api.Policy;
import io.sluice.api.PolicyContext;
import io.sluice.api.PolicyFactory;
import io.sluice.api.Problem;
import io.sluice.api.Units;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * {@code cors}: answers CORS preflights at the gateway (the backend never sees them) and adds the
 * CORS headers to responses for allowed origins. A preflight is routed by the method it asks for,
 * so a route needs no {@code OPTIONS} of its own.
 *
 * <pre>{@code
 * - cors:
 *     origins: [ "https://app.example.com" ]      # or [ "*" ]
 *     methods: [ GET, POST ]                       # default GET, HEAD, POST
 *     headers: [ Authorization, Content-Type ]     # request headers allowed; default none
 *     exposeHeaders: [ X-Request-Id ]
 *     credentials: true                            # not with "*"
 *     maxAge: 10m
 * }</pre>
 */
public final class CorsPolicyFactory implements PolicyFactory {

  static final Problem REFUSED =
      Problem.of(
          403, "cors-refused", "CORS Request Refused", "This cross-origin request is not allowed.");
  private static final AttributeKey<String> ALLOWED_ORIGIN = AttributeKey.of("cors.origin");

  @Override
  public String name() {
    return "cors";
  }

  @Override
  public Phase phase() {
    return Phase.PRE;
  }

  @Override
  public String configSchema() {
    return Schemas.load(CorsPolicyFactory.class, "cors");
  }

  @Override
  public Policy create(JsonObject config, PolicyContext context) {
    Set<String> origins = set(config.getJsonArray("origins"), false);
    boolean credentials = config.getBoolean("credentials", false);
    if (credentials && origins.contains("*")) {
      throw new IllegalArgumentException(
          "credentials: true cannot be combined with origins: [\"*\"] (browsers refuse it)");
    }
    Set<String> methods =
        set(
            config.getJsonArray("methods", new JsonArray().add("GET").add("HEAD").add("POST")),
            false);
    Set<String> headers = set(config.getJsonArray("headers", new JsonArray()), true);
    Set<String> expose = set(config.getJsonArray("exposeHeaders", new JsonArray()), false);
    long maxAge = Units.duration(config.getString("maxAge", "10m")).toSeconds();
    return new Cors(origins, methods, headers, expose, credentials, maxAge);
  }

  private static Set<String> set(JsonArray a, boolean lowerCase) {
    Set<String> s = new LinkedHashSet<>();
    for (Object o : a) {
      s.add(lowerCase ? String.valueOf(o).toLowerCase(Locale.ROOT) : String.valueOf(o));
    }
    return java.util.Collections.unmodifiableSet(s);
  }

  static final class Cors implements Policy {
    private final Set<String> origins;
    private final boolean anyOrigin;
    private final Set<String> methods;
    private final Set<String> headers;
    private final String allowMethods;
    private final String allowHeaders;
    private final String expose;
    private final boolean credentials;
    private final String maxAge;

    Cors(
        Set<String> origins,
        Set<String> methods,
        Set<String> headers,
        Set<String> expose,
        boolean credentials,
        long maxAge) {
      this.origins = origins;
      this.anyOrigin = origins.contains("*");
      this.methods = methods;
      this.headers = headers;
      this.allowMethods = String.join(", ", methods);
      this.allowHeaders = String.join(", ", headers);
      this.expose = String.join(", ", expose);
      this.credentials = credentials;
      this.maxAge = String.valueOf(maxAge);
    }

    @Override
    public Future<Void> onRequest(Exchange ex) {
      String origin = ex.requestHeaders().get("origin");
      if (origin == null) {
        return Future.succeededFuture();
      }
      boolean allowed = anyOrigin || origins.contains(origin);
      String requested = ex.requestHeaders().get("access-control-request-method");
      if ("OPTIONS".equals(ex.method()) && requested != null) {
        preflight(ex, origin, allowed, requested);
      } else if (allowed) {
        ex.attribute(ALLOWED_ORIGIN, origin);
      }
      return Future.succeededFuture();
    }

    private void preflight(Exchange ex, String origin, boolean allowed, String requested) {
      if (!allowed || !methods.contains(requested) || !headersAllowed(ex)) {
        ex.respond(REFUSED);
        return;
      }
      MultiMap h = MultiMap.caseInsensitiveMultiMap();
      allowOrigin(h, origin);
      h.set("Access-Control-Allow-Methods", allowMethods);
      if (!allowHeaders.isEmpty()) {
        h.set("Access-Control-Allow-Headers", allowHeaders);
      }
      h.set("Access-Control-Max-Age", maxAge);
      ex.respond(204, h, Buffer.buffer());
    }

    private boolean headersAllowed(Exchange ex) {
      String requested = ex.requestHeaders().get("access-control-request-headers");
      if (requested == null || requested.isBlank()) {
        return true;
      }
      for (String h : requested.split(",")) {
        String name = h.trim().toLowerCase(Locale.ROOT);
        if (!name.isEmpty() && !headers.contains(name)) {
          return false;
        }
      }
      return true;
    }

    @Override
    public Future<Void> onResponse(Exchange ex) {
      String origin = ex.attribute(ALLOWED_ORIGIN);
      if (origin != null) {
        allowOrigin(ex.responseHeaders(), origin);
        if (!expose.isEmpty()) {
          ex.responseHeaders().set("Access-Control-Expose-Headers", expose);
        }
      }
      return Future.succeededFuture();
    }

    private void allowOrigin(MultiMap h, String origin) {
      h.set("Access-Control-Allow-Origin", anyOrigin && !credentials ? "*" : origin);
      if (credentials) {
        h.set("Access-Control-Allow-Credentials", "true");
      }
      if (!anyOrigin) {
        h.add("Vary", "Origin");
      }
    }

    @Override
    public String toString() {
      return "cors{origins=" + origins + ", methods=" + methods + "}";
    }
  }
}
