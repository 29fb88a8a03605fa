package io.sluice.policies.jwt;

import io.sluice.api.Phase;
import io.sluice.api.Policy;
import io.sluice.api.PolicyContext;
import io.sluice.api.PolicyFactory;
import io.sluice.api.Units;
import io.sluice.policies.AuthRefusals;
import io.sluice.policies.Schemas;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code jwt}: bearer tokens checked against an IdP's JWKS or keys in the route file.
 *
 * <pre>{@code
 * - jwt:
 *     issuer: "https://idp.example.com/"
 *     audiences: [ orders-api ]
 *     jwks: "https://idp.example.com/.well-known/jwks.json"
 *     algorithms: [ RS256, ES256 ]
 *     clockSkew: 30s
 *     scopes: [ orders:read ]
 *     forward: { sub: X-User-Id, tenant: X-Tenant-Id }
 * }</pre>
 *
 * <p>One factory serves one loaded config: routes naming the same JWKS URL share one fetched key
 * set, and routes with the same {@code jwt} config share one verifier and its cache of verified
 * tokens.
 */
public final class JwtPolicyFactory implements PolicyFactory {

  static final List<String> DEFAULT_ALGORITHMS = List.of("RS256", "ES256");

  private final Map<String, JwksSource> sources = new ConcurrentHashMap<>();
  private final Map<JsonObject, JwtVerifier> verifiers = new ConcurrentHashMap<>();

  @Override
  public String name() {
    return "jwt";
  }

  @Override
  public Phase phase() {
    return Phase.AUTHENTICATE;
  }

  @Override
  public String configSchema() {
    return Schemas.load(JwtPolicyFactory.class, "jwt");
  }

  @Override
  public Policy create(JsonObject config, PolicyContext context) {
    JwtVerifier verifier = verifiers.computeIfAbsent(config.copy(), c -> newVerifier(c, context));
    JsonObject token = config.getJsonObject("token", new JsonObject());
    JwtPolicy.TokenSource source =
        new JwtPolicy.TokenSource(
            token.containsKey("cookie") ? null : token.getString("header", "Authorization"),
            token.getString("cookie"));
    return new JwtPolicy(
        verifier,
        source,
        config.getString("realm", "sluice"),
        context.vertx(),
        new AuthRefusals(context, name()));
  }

  private JwtVerifier newVerifier(JsonObject config, PolicyContext context) {
    Set<String> algorithms =
        new LinkedHashSet<>(strings(config.getValue("algorithms"), DEFAULT_ALGORITHMS));
    KeySource keys;
    if (config.containsKey("keys")) {
      KeySet set = KeySet.fromConfig(config.getJsonArray("keys"));
      boolean usable = set.keys().stream().anyMatch(k -> !disjoint(k.algorithms(), algorithms));
      if (!usable) {
        throw new IllegalArgumentException(
            "keys: none of them can verify " + algorithms + " (see `algorithms`)");
      }
      keys = new KeySource.Fixed(set);
    } else {
      if (algorithms.stream().anyMatch(a -> a.startsWith("HS"))) {
        throw new IllegalArgumentException(
            "algorithms: HMAC (HS*) needs its secret in `keys`; a JWKS publishes public keys only");
      }
      keys = jwks(config.getValue("jwks"), context);
    }
    JsonObject forward = config.getJsonObject("forward", new JsonObject());
    List<String> claims = new ArrayList<>(forward.fieldNames());
    List<String> headers = claims.stream().map(forward::getString).toList();
    JwtVerifier.Settings settings =
        new JwtVerifier.Settings(
            Set.copyOf(strings(config.getValue("issuer"), List.of())),
            Set.copyOf(strings(config.getValue("audiences"), List.of())),
            Set.copyOf(algorithms),
            Units.duration(config.getString("clockSkew", "30s")),
            strings(config.getValue("scopes"), List.of()),
            List.copyOf(claims),
            headers,
            config.getString("principalClaim", "sub"),
            (int)
                Math.min(
                    Integer.MAX_VALUE,
                    Units.size(String.valueOf(config.getValue("maxTokenSize", "8KiB")))),
            config.getLong("cacheSize", 10_000L));
    return new JwtVerifier(settings, keys, context.clock());
  }

  private KeySource jwks(Object value, PolicyContext context) {
    Vertx vertx = context.vertx();
    JsonObject o = value instanceof JsonObject j ? j : new JsonObject().put("url", value);
    String url = o.getString("url");
    Duration refresh = Units.duration(o.getString("refresh", "5m"));
    Duration minRefetch = Units.duration(o.getString("minRefetch", "30s"));
    Duration timeout = Units.duration(o.getString("timeout", "5s"));
    if (refresh.compareTo(minRefetch) < 0) {
      throw new IllegalArgumentException("jwks.refresh: shorter than jwks.minRefetch");
    }
    // Routes naming the same URL share one source (the first one's settings).
    if (context.checkOnly()) {
      return new JwksSource(
          vertx,
          client(vertx),
          url,
          refresh,
          minRefetch,
          timeout,
          context.meter().counterBuilder("sluice.jwks.fetches").build());
    }
    return sources.computeIfAbsent(
        url,
        u ->
            new JwksSource(
                    vertx,
                    client(vertx),
                    u,
                    refresh,
                    minRefetch,
                    timeout,
                    context
                        .meter()
                        .counterBuilder("sluice.jwks.fetches")
                        .setDescription("JWKS fetches (the first one and refreshes), by outcome.")
                        .build())
                .prefetch());
  }

  /** One client for the gateway's JWKS fetches, kept across reloads (closed with Vert.x). */
  private static HttpClient client(Vertx vertx) {
    return io.sluice.policies.PerVertx.get(
        vertx,
        List.of("jwks-client"),
        () ->
            vertx.createHttpClient(
                new HttpClientOptions().setMaxRedirects(3).setKeepAliveTimeout(60)));
  }

  private static boolean disjoint(Set<String> a, Set<String> b) {
    return a.stream().noneMatch(b::contains);
  }

  /** A string or a list of strings, as a list. */
  private static List<String> strings(Object value, List<String> otherwise) {
    if (value == null) {
      return otherwise;
    }
    if (value instanceof JsonArray a) {
      List<String> out = new ArrayList<>();
      a.forEach(o -> out.add(String.valueOf(o)));
      return List.copyOf(out);
    }
    return List.of(String.valueOf(value));
  }
}
