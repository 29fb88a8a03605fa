package io.sluice.policies.jwt;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.jsonwebtoken.Claims;
import io.jsonwebtoken.ExpiredJwtException;
import io.jsonwebtoken.JwtParser;
import io.jsonwebtoken.JwtParserBuilder;
import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.PrematureJwtException;
import io.jsonwebtoken.jackson.io.JacksonDeserializer;
import io.jsonwebtoken.security.SecureDigestAlgorithm;
import io.jsonwebtoken.security.SignatureException;
import io.sluice.policies.jwt.KeySet.VerificationKey;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.Date;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.crypto.SecretKey;

/**
 * Checks tokens for one {@code jwt} configuration: shape and algorithm first (before any crypto),
 * then the signature with a key from the configured source only, then {@code exp}, {@code nbf},
 * {@code iss} and {@code aud}. What a good token yields is remembered until it expires, keyed by
 * the token's SHA-256, so that a client sending the same token again costs a lookup, not a
 * signature check. Shared by every route with the same configuration.
 */
final class JwtVerifier {

  /** A {@code jwt} configuration, as read from the route file. */
  record Settings(
      Set<String> issuers,
      Set<String> audiences,
      Set<String> algorithms,
      Duration clockSkew,
      List<String> scopes,
      List<String> forwardClaims,
      List<String> forwardHeaders,
      String principalClaim,
      int maxTokenSize,
      long cacheSize) {}

  /** What checking a token came to. */
  sealed interface Outcome permits Verified, Invalid, Unavailable {}

  /**
   * A good token: who it names, its scopes and claims, the values of the forwarded headers (null
   * where the claim is missing or cannot be a header value), and when it expires.
   */
  record Verified(
      String principal,
      List<String> scopes,
      Map<String, Object> claims,
      String[] forwardValues,
      long expiresAtMillis,
      boolean hasRequiredScopes)
      implements Outcome {}

  /** A bad token; the reason is for the debug log only, never for the client. */
  record Invalid(String reason) implements Outcome {}

  /** No keys to check with; try again after this many seconds. */
  record Unavailable(long retryAfterSeconds) implements Outcome {}

  private static final Invalid MALFORMED = new Invalid("not a signed JWT (JWS compact form)");
  private static final Invalid BAD_HEADER = new Invalid("the header is not JSON with a string alg");
  private static final JacksonDeserializer<Map<String, ?>> JSON = new JacksonDeserializer<>();
  private static final ThreadLocal<MessageDigest> SHA256 =
      ThreadLocal.withInitial(
          () -> {
            try {
              return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
              throw new IllegalStateException(e);
            }
          });

  private final Settings settings;
  private final KeySource keys;
  private final Clock clock;
  private final long skewMillis;
  private final Cache<ByteBuffer, Verified> cache;
  private volatile Parsers parsers;

  /** One jjwt parser per key, built when the key set changes. */
  private record Parsers(KeySet set, Map<VerificationKey, JwtParser> byKey) {}

  JwtVerifier(Settings settings, KeySource keys, Clock clock) {
    this.settings = settings;
    this.keys = keys;
    this.clock = clock;
    this.skewMillis = settings.clockSkew().toMillis();
    if (settings.cacheSize() > 0) {
      this.cache =
          Caffeine.newBuilder()
              .maximumSize(settings.cacheSize())
              .executor(Runnable::run)
              .expireAfter(
                  Expiry.<ByteBuffer, Verified>creating(
                      (k, v) ->
                          Duration.ofMillis(
                              Math.max(0, v.expiresAtMillis() + skewMillis - clock.millis()))))
              .build();
      // Keys gone from the IdP's set must not keep verifying tokens through the cache.
      keys.onChange(cache::invalidateAll);
    } else {
      this.cache = null;
    }
  }

  Settings settings() {
    return settings;
  }

  /** The cache key of a token: its SHA-256, or null when there is no cache. */
  ByteBuffer cacheKey(String token) {
    if (cache == null) {
      return null;
    }
    MessageDigest md = SHA256.get();
    byte[] digest = md.digest(token.getBytes(StandardCharsets.ISO_8859_1));
    return ByteBuffer.wrap(digest);
  }

  /** The remembered outcome of a good token that has not expired, or null. */
  Verified cached(ByteBuffer key) {
    if (key == null) {
      return null;
    }
    Verified v = cache.getIfPresent(key);
    if (v != null && clock.millis() > v.expiresAtMillis() + skewMillis) {
      cache.invalidate(key);
      return null;
    }
    return v;
  }

  /** Checks a token that is not in the cache. Completes with an outcome; never fails. */
  Future<Outcome> verify(String token, ByteBuffer cacheKey) {
    Header header = Header.peek(token);
    if (header == null) {
      return Future.succeededFuture(MALFORMED);
    }
    if (header.alg == null) {
      return Future.succeededFuture(BAD_HEADER);
    }
    if (!settings.algorithms().contains(header.alg)) {
      // Also "none", "NONE", "nOnE": only the listed algorithms, exactly as spelled.
      return Future.succeededFuture(
          new Invalid("algorithm " + printable(header.alg) + " not allowed"));
    }
    KeySet set = keys.current();
    if (set == null) {
      return keys.load()
          .map(s -> check(token, header, s, cacheKey))
          .otherwise(JwtVerifier::unavailable);
    }
    List<VerificationKey> candidates = set.candidates(header.kid, header.alg);
    if (candidates.isEmpty() && header.kid != null) {
      // Perhaps the IdP rotated in a new key: look again (rate-limited by the source).
      return keys.refetch()
          .map(s -> check(token, header, s, cacheKey))
          .otherwise(JwtVerifier::unavailable);
    }
    return Future.succeededFuture(check(token, header, set, cacheKey));
  }

  private static Outcome unavailable(Throwable e) {
    long after = e instanceof KeySource.KeysUnavailable u ? u.retryAfterSeconds : 1;
    return new Unavailable(after);
  }

  private Outcome check(String token, Header header, KeySet set, ByteBuffer cacheKey) {
    List<VerificationKey> candidates = set.candidates(header.kid, header.alg);
    if (candidates.isEmpty()) {
      return new Invalid(
          header.kid == null
              ? "no key for " + header.alg
              : "no key with kid " + printable(header.kid) + " for " + header.alg);
    }
    Map<VerificationKey, JwtParser> byKey = parsersFor(set).byKey();
    Invalid last = null;
    for (VerificationKey key : candidates) {
      Claims claims;
      try {
        claims = byKey.get(key).parseSignedClaims(token).getPayload();
      } catch (ExpiredJwtException e) {
        return new Invalid("expired");
      } catch (PrematureJwtException e) {
        return new Invalid("not valid yet (nbf)");
      } catch (SignatureException e) {
        last = new Invalid("bad signature");
        continue;
      } catch (RuntimeException e) {
        // Malformed, unsupported crit, key/algorithm mismatch, bad JSON...
        last = new Invalid(e.getClass().getSimpleName() + ": " + printable(e.getMessage()));
        continue;
      }
      Outcome o = checkClaims(claims);
      if (o instanceof Verified v && cache != null && cacheKey != null) {
        cache.put(cacheKey, v);
      }
      return o;
    }
    return last;
  }

  private Outcome checkClaims(Claims claims) {
    Date exp = claims.getExpiration();
    if (exp == null) {
      return new Invalid("no exp");
    }
    String iss = claims.getIssuer();
    if (iss == null || !settings.issuers().contains(iss)) {
      return new Invalid("issuer " + printable(iss) + " not accepted");
    }
    Set<String> aud = claims.getAudience();
    if (aud == null || Collections.disjoint(aud, settings.audiences())) {
      return new Invalid("audience " + printable(String.valueOf(aud)) + " not accepted");
    }
    List<String> scopes = scopes(claims);
    Object p = claims.get(settings.principalClaim());
    String principal = p instanceof String s ? s : p instanceof Number n ? n.toString() : null;
    String[] forward = new String[settings.forwardClaims().size()];
    for (int i = 0; i < forward.length; i++) {
      forward[i] = headerValue(claims.get(settings.forwardClaims().get(i)));
    }
    return new Verified(
        principal,
        scopes,
        Collections.unmodifiableMap(new LinkedHashMap<>(claims)),
        forward,
        exp.getTime(),
        scopes.containsAll(settings.scopes()));
  }

  /** From {@code scope} (space separated) or {@code scp} (a list, or space separated). */
  static List<String> scopes(Map<String, ?> claims) {
    Object scope = claims.get("scope");
    if (scope == null) {
      scope = claims.get("scp");
    }
    List<String> out = new ArrayList<>();
    if (scope instanceof String s) {
      for (String part : s.split(" ")) {
        if (!part.isEmpty()) {
          out.add(part);
        }
      }
    } else if (scope instanceof Collection<?> c) {
      for (Object o : c) {
        if (o instanceof String s && !s.isEmpty()) {
          out.add(s);
        }
      }
    }
    return List.copyOf(out);
  }

  /**
   * A claim as a header value: strings as they are, numbers and booleans as text, lists joined with
   * commas, objects as JSON. Null when missing, or when the value has characters a header cannot
   * carry (control characters, non-ASCII): never a way to inject headers.
   */
  static String headerValue(Object claim) {
    String v;
    if (claim == null) {
      return null;
    } else if (claim instanceof String s) {
      v = s;
    } else if (claim instanceof Date d) {
      v = String.valueOf(d.getTime() / 1000);
    } else if (claim instanceof Number || claim instanceof Boolean) {
      v = claim.toString();
    } else if (claim instanceof Collection<?> c) {
      List<String> parts = new ArrayList<>();
      for (Object o : c) {
        String part = headerValue(o);
        if (part == null) {
          return null;
        }
        parts.add(part);
      }
      v = String.join(",", parts);
    } else if (claim instanceof Map<?, ?>) {
      v = Json.encode(claim);
    } else {
      return null;
    }
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if ((c < 0x20 && c != '\t') || c >= 0x7f) {
        return null;
      }
    }
    return v;
  }

  private Parsers parsersFor(KeySet set) {
    Parsers p = parsers;
    if (p != null && p.set() == set) {
      return p;
    }
    Map<VerificationKey, JwtParser> byKey = new IdentityHashMap<>();
    for (VerificationKey key : set.keys()) {
      byKey.put(key, parser(key));
    }
    p = new Parsers(set, byKey);
    parsers = p;
    return p;
  }

  /**
   * A parser that verifies with this one key and accepts only the algorithms both the config and
   * the key allow. jjwt refuses unsecured tokens, unknown {@code crit} parameters and keys too weak
   * for the algorithm by itself; it never fetches {@code jku} or {@code x5u}.
   */
  private JwtParser parser(VerificationKey key) {
    JwtParserBuilder b =
        Jwts.parser()
            .json(JSON)
            .clock(() -> new Date(clock.millis()))
            .clockSkewSeconds(settings.clockSkew().toSeconds());
    var sig = b.sig().clear();
    for (String alg : key.algorithms()) {
      if (settings.algorithms().contains(alg)) {
        sig.add((SecureDigestAlgorithm<?, ?>) Jwts.SIG.get().forKey(alg));
      }
    }
    b = sig.and();
    if (key.key() instanceof SecretKey secret) {
      b.verifyWith(secret);
    } else {
      b.verifyWith((PublicKey) key.key());
    }
    java.security.Provider provider = Providers.providerFor(key.key());
    if (provider != null) {
      b.provider(provider);
    }
    return b.build();
  }

  /** Up to 64 visible characters of something a client sent, for the debug log. */
  static String printable(String s) {
    if (s == null) {
      return "(none)";
    }
    StringBuilder out = new StringBuilder(Math.min(s.length(), 64) + 2).append('\'');
    for (int i = 0; i < s.length() && i < 64; i++) {
      char c = s.charAt(i);
      out.append(c < 0x20 || c >= 0x7f ? '?' : c);
    }
    return out.append(s.length() > 64 ? "...'" : "'").toString();
  }

  /** The parts of a token's header that are read before any crypto. */
  static final class Header {
    final String alg;
    final String kid;

    private Header(String alg, String kid) {
      this.alg = alg;
      this.kid = kid;
    }

    /**
     * Reads the header of a JWS in compact form: three base64url parts, the last (the signature)
     * not empty. Null when the token does not have that shape. A header without a string {@code
     * alg} (or with a {@code kid} that is not a string) gives a header with a null alg.
     */
    static Header peek(String token) {
      int d1 = token.indexOf('.');
      int d2 = d1 < 0 ? -1 : token.indexOf('.', d1 + 1);
      if (d1 <= 0 || d2 < 0 || d2 == token.length() - 1 || token.indexOf('.', d2 + 1) >= 0) {
        return null;
      }
      for (int i = 0; i < token.length(); i++) {
        char c = token.charAt(i);
        boolean ok =
            (c >= 'A' && c <= 'Z')
                || (c >= 'a' && c <= 'z')
                || (c >= '0' && c <= '9')
                || c == '-'
                || c == '_'
                || c == '.';
        if (!ok) {
          return null;
        }
      }
      JsonObject json;
      try {
        byte[] bytes = Base64.getUrlDecoder().decode(token.substring(0, d1));
        json = new JsonObject(new String(bytes, StandardCharsets.UTF_8));
      } catch (IllegalArgumentException | DecodeException | ClassCastException e) {
        return new Header(null, null);
      }
      Object alg = json.getValue("alg");
      Object kid = json.getValue("kid");
      if (!(alg instanceof String a) || (kid != null && !(kid instanceof String))) {
        return new Header(null, null);
      }
      return new Header(a, (String) kid);
    }
  }
}
