package io.sluice.gateway.tier;

import io.jsonwebtoken.Claims;
import io.jsonwebtoken.ExpiredJwtException;
import io.jsonwebtoken.JwtException;
import io.jsonwebtoken.JwtParser;
import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.security.SecureDigestAlgorithm;
import io.sluice.gateway.config.SluiceConfig.Trust;
import java.security.Key;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import javax.crypto.SecretKey;

/**
 * The assertion an edge gateway attaches to every request it forwards to a core, and the core's
 * check of it: a compact JWS (jjwt) signed with the tier key, HS256 for a shared secret or ES256
 * for an EC P-256 pair.
 *
 * <p>Claims: {@code iss} sluice-edge, {@code aud} sluice-core, {@code iat}/{@code exp} (seconds),
 * {@code jti} the request id, {@code sub} the principal (when there is one), {@code scp} its
 * scopes, {@code clm} its verified token claims, {@code rid} the route id, {@code htm}/{@code htu}
 * the method and normalized path (so that an assertion cannot be replayed on another route or
 * resource), {@code reg} the edge's region and {@code cip} the client's address.
 */
public final class TierAssertions {

  /** The request header the assertion travels in, edge to core. */
  public static final String HEADER = "X-Sluice-Assertion";

  /** Request headers starting with this are the tiers' own: an edge drops the client's. */
  public static final String HEADER_PREFIX = "x-sluice-";

  static final String ISSUER = "sluice-edge";
  static final String AUDIENCE = "sluice-core";

  /** Clock difference between an edge and a core that is tolerated, in seconds. */
  static final long CLOCK_SKEW_SECONDS = 5;

  private TierAssertions() {}

  /** What an edge vouches for: the request as it leaves the edge, after the edge's policies. */
  public record Asserted(
      String principal,
      List<String> scopes,
      Map<String, Object> claims,
      String routeId,
      String method,
      String path,
      String requestId,
      String region,
      String clientAddress) {}

  /** Signs assertions on an edge. Thread-safe; one per config. */
  public static final class Signer {
    private final Key key;
    private final SecureDigestAlgorithm<Key, ?> algorithm;
    private final long ttlMillis;
    private final String region;

    @SuppressWarnings("unchecked")
    public Signer(Trust trust, String region) {
      if (trust.secret() != null) {
        this.key = trust.secret();
        this.algorithm = (SecureDigestAlgorithm<Key, ?>) (Object) Jwts.SIG.HS256;
      } else if (trust.privateKey() != null) {
        this.key = trust.privateKey();
        this.algorithm = (SecureDigestAlgorithm<Key, ?>) (Object) Jwts.SIG.ES256;
      } else {
        throw new IllegalArgumentException("an edge needs gateway.trust.key or privateKey");
      }
      this.ttlMillis = trust.ttl().toMillis();
      this.region = region;
    }

    /**
     * Whether signing is too slow for an event loop: ES256 takes about 0.5 ms of CPU on JDK 17
     * (HS256 about 10 us; {@code TierAssertionBenchmark}).
     */
    public boolean slow() {
      return !(key instanceof SecretKey);
    }

    /** The assertion for one request, good from {@code nowMillis} for the configured ttl. */
    public String sign(Asserted a, long nowMillis) {
      var b =
          Jwts.builder()
              .issuer(ISSUER)
              .audience()
              .add(AUDIENCE)
              .and()
              .issuedAt(new Date(nowMillis))
              .expiration(new Date(nowMillis + ttlMillis))
              .id(a.requestId())
              .claim("rid", a.routeId())
              .claim("htm", a.method())
              .claim("htu", a.path());
      if (a.principal() != null) {
        b.subject(a.principal());
      }
      if (a.scopes() != null && !a.scopes().isEmpty()) {
        b.claim("scp", a.scopes());
      }
      if (a.claims() != null && !a.claims().isEmpty()) {
        b.claim("clm", a.claims());
      }
      if (region != null) {
        b.claim("reg", region);
      }
      if (a.clientAddress() != null) {
        b.claim("cip", a.clientAddress());
      }
      return b.signWith(key, algorithm).compact();
    }
  }

  /** Why an assertion was refused (for the core's debug log; the client sees one answer). */
  public static final class Refused extends Exception {
    Refused(String message) {
      super(message, null, false, false);
    }
  }

  /** Checks assertions on a core. Thread-safe; one per config. */
  public static final class Verifier {
    private final List<JwtParser> parsers;
    private final boolean slow;

    public Verifier(Trust trust) {
      List<Key> keys = new ArrayList<>();
      if (trust.secret() != null) {
        keys.add(trust.secret());
      } else if (trust.publicKey() != null) {
        keys.add(trust.publicKey());
      } else {
        throw new IllegalArgumentException("a core needs gateway.trust.key or publicKey");
      }
      keys.addAll(trust.previous());
      this.slow = keys.stream().anyMatch(k -> !(k instanceof SecretKey));
      List<JwtParser> ps = new ArrayList<>();
      for (Key k : keys) {
        var b =
            Jwts.parser()
                .requireIssuer(ISSUER)
                .requireAudience(AUDIENCE)
                .clockSkewSeconds(CLOCK_SKEW_SECONDS);
        // Only the algorithm of the key: a token cannot choose another (no "none", no HS256 with
        // a public key as the secret).
        if (k instanceof SecretKey s) {
          b.sig().add(Jwts.SIG.HS256).and().verifyWith(s);
        } else {
          b.sig().add(Jwts.SIG.ES256).and().verifyWith((PublicKey) k);
        }
        ps.add(b.build());
      }
      this.parsers = List.copyOf(ps);
    }

    /**
     * Whether checking is too slow for an event loop: ES256 takes about 1 ms of CPU on JDK 17
     * (HS256 about 12 us; {@code TierAssertionBenchmark}).
     */
    public boolean slow() {
      return slow;
    }

    /**
     * The claims of a valid assertion.
     *
     * @throws Refused when there is none, or it is malformed, signed with another key, expired or
     *     not yet valid
     */
    public Asserted verify(String token) throws Refused {
      if (token == null || token.isEmpty()) {
        throw new Refused("no assertion");
      }
      Claims c = null;
      JwtException last = null;
      for (JwtParser p : parsers) {
        try {
          c = p.parseSignedClaims(token).getPayload();
          break;
        } catch (ExpiredJwtException e) {
          throw new Refused("the assertion expired");
        } catch (io.jsonwebtoken.security.SignatureException e) {
          last = e; // another key may have made it (a rotation)
        } catch (JwtException | IllegalArgumentException e) {
          throw new Refused("malformed assertion: " + e.getClass().getSimpleName());
        }
      }
      if (c == null) {
        throw new Refused(
            "the assertion is not signed with a trusted key"
                + (last == null ? "" : " (" + last.getClass().getSimpleName() + ")"));
      }
      if (c.getExpiration() == null) {
        throw new Refused("the assertion has no expiry");
      }
      return new Asserted(
          c.getSubject(),
          strings(c.get("scp")),
          claims(c.get("clm")),
          c.get("rid", String.class),
          c.get("htm", String.class),
          c.get("htu", String.class),
          c.getId(),
          c.get("reg", String.class),
          c.get("cip", String.class));
    }

    private static List<String> strings(Object v) {
      if (!(v instanceof List<?> l)) {
        return List.of();
      }
      List<String> out = new ArrayList<>(l.size());
      for (Object o : l) {
        out.add(String.valueOf(o));
      }
      return List.copyOf(out);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> claims(Object v) {
      return v instanceof Map<?, ?> m
          ? java.util.Collections.unmodifiableMap((Map<String, Object>) m)
          : Map.of();
    }
  }
}
