package io.sluice.policies.jwt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jsonwebtoken.Jwts;
import io.sluice.policies.jwt.JwtVerifier.Header;
import io.sluice.policies.jwt.JwtVerifier.Outcome;
import io.sluice.policies.jwt.JwtVerifier.Verified;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JwtVerifierTest {

  /** A clock the test moves. */
  static final class MovableClock extends Clock {
    volatile long millis = System.currentTimeMillis();

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis);
    }

    @Override
    public long millis() {
      return millis;
    }
  }

  static final KeyPair RSA = generate("RSA", 2048);
  static final KeyPair EC = ec();

  static KeyPair generate(String alg, int bits) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance(alg);
      g.initialize(bits);
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static KeyPair ec() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static String pem(PublicKey key) {
    return "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder().encodeToString(key.getEncoded())
        + "\n-----END PUBLIC KEY-----";
  }

  static JwtVerifier verifier(Clock clock, long cacheSize, List<String> scopes) {
    KeySet keys =
        KeySet.fromConfig(
            new JsonArray()
                .add(new JsonObject().put("kid", "r").put("pem", pem(RSA.getPublic())))
                .add(new JsonObject().put("kid", "e").put("pem", pem(EC.getPublic()))));
    JwtVerifier.Settings s =
        new JwtVerifier.Settings(
            Set.of("iss"),
            Set.of("aud"),
            Set.of("RS256", "ES256"),
            Duration.ofSeconds(30),
            scopes,
            List.of("sub", "tenant"),
            List.of("X-User", "X-Tenant"),
            "sub",
            8192,
            cacheSize);
    return new JwtVerifier(s, new KeySource.Fixed(keys), clock);
  }

  static String token(String kid, java.security.PrivateKey key, long expMillis) {
    return Jwts.builder()
        .header()
        .keyId(kid)
        .and()
        .issuer("iss")
        .audience()
        .add("aud")
        .and()
        .subject("alice")
        .claim("scope", "a b")
        .claim("tenant", "acme")
        .expiration(new Date(expMillis))
        .signWith(key)
        .compact();
  }

  static Outcome verify(JwtVerifier v, String token) {
    return v.verify(token, v.cacheKey(token)).result();
  }

  @Test
  void aGoodTokenIsRememberedUntilItExpiresPlusTheSkew() {
    MovableClock clock = new MovableClock();
    JwtVerifier v = verifier(clock, 100, List.of("a"));
    String t = token("r", RSA.getPrivate(), clock.millis() + 60_000);
    ByteBuffer key = v.cacheKey(t);
    assertThat(v.cached(key)).isNull();
    Verified first = (Verified) verify(v, t);
    assertThat(first.principal()).isEqualTo("alice");
    assertThat(first.scopes()).containsExactly("a", "b");
    assertThat(first.forwardValues()).containsExactly("alice", "acme");
    assertThat(first.hasRequiredScopes()).isTrue();
    assertThat(v.cached(v.cacheKey(t))).isSameAs(first);
    clock.millis += 60_000 + 29_000;
    assertThat(v.cached(v.cacheKey(t))).isSameAs(first);
    clock.millis += 2_000;
    assertThat(v.cached(v.cacheKey(t))).isNull();
  }

  @Test
  void esTokensAreVerifiedWithBouncyCastleKeys() {
    MovableClock clock = new MovableClock();
    JwtVerifier v = verifier(clock, 0, List.of());
    assertThat(v.cacheKey("x")).isNull();
    Outcome o = verify(v, token("e", EC.getPrivate(), clock.millis() + 60_000));
    assertThat(o).isInstanceOf(Verified.class);
    KeySet.VerificationKey ecKey =
        KeySet.fromConfig(new JsonArray().add(new JsonObject().put("pem", pem(EC.getPublic()))))
            .keys()
            .get(0);
    assertThat(Providers.providerFor(ecKey.key())).isSameAs(Providers.BOUNCY_CASTLE);
    assertThat(ecKey.algorithms()).containsExactly("ES256");
  }

  @Test
  void missingScopesAreRememberedAsSuch() {
    MovableClock clock = new MovableClock();
    JwtVerifier v = verifier(clock, 100, List.of("a", "c"));
    Verified o = (Verified) verify(v, token("r", RSA.getPrivate(), clock.millis() + 60_000));
    assertThat(o.hasRequiredScopes()).isFalse();
  }

  @Test
  void theHeaderIsReadWithoutCryptoAndOddShapesAreRefused() {
    String h = b64("{\"alg\":\"RS256\",\"kid\":\"k1\"}");
    Header ok = Header.peek(h + ".e30.c2ln");
    assertThat(ok.alg).isEqualTo("RS256");
    assertThat(ok.kid).isEqualTo("k1");
    assertThat(Header.peek(h + ".e30.")).as("no signature").isNull();
    assertThat(Header.peek(h + ".e30")).as("two parts").isNull();
    assertThat(Header.peek("a.b.c.d.e")).as("JWE").isNull();
    assertThat(Header.peek(h + ".e30.c2l+")).as("not base64url").isNull();
    assertThat(Header.peek(".e30.c2ln")).isNull();
    assertThat(Header.peek(b64("{\"alg\":1}") + ".e30.c2ln").alg).isNull();
    assertThat(Header.peek(b64("{\"alg\":\"RS256\",\"kid\":5}") + ".e30.c2ln").alg).isNull();
    assertThat(Header.peek(b64("[1]") + ".e30.c2ln").alg).isNull();
    assertThat(Header.peek("bm90IGpzb24.e30.c2ln").alg).isNull();
  }

  @Test
  void claimsBecomeHeaderValuesOnlyWhenTheyAreSafe() {
    assertThat(JwtVerifier.headerValue("alice")).isEqualTo("alice");
    assertThat(JwtVerifier.headerValue(42)).isEqualTo("42");
    assertThat(JwtVerifier.headerValue(true)).isEqualTo("true");
    assertThat(JwtVerifier.headerValue(List.of("a", "b"))).isEqualTo("a,b");
    assertThat(JwtVerifier.headerValue(Map.of("k", "v"))).isEqualTo("{\"k\":\"v\"}");
    assertThat(JwtVerifier.headerValue(new Date(1_700_000_000_000L))).isEqualTo("1700000000");
    assertThat(JwtVerifier.headerValue("a\r\nX-Admin: 1")).isNull();
    assertThat(JwtVerifier.headerValue("caf\u00e9")).isNull();
    assertThat(JwtVerifier.headerValue(null)).isNull();
    assertThat(JwtVerifier.scopes(Map.of("scp", List.of("x", "y")))).containsExactly("x", "y");
    assertThat(JwtVerifier.scopes(Map.of("scope", " x  y "))).containsExactly("x", "y");
  }

  @Test
  void weakOrWrongKeysInTheRouteFileAreErrorsThatNeverShowTheSecret() {
    JsonArray shortSecret = new JsonArray().add(new JsonObject().put("secret", "s".repeat(31)));
    assertThatThrownBy(() -> KeySet.fromConfig(shortSecret))
        .hasMessage("keys[0].secret: too short for HMAC (248 bits; at least 256 are needed)");
    JsonArray weakRsa =
        new JsonArray().add(new JsonObject().put("pem", pem(generate("RSA", 1024).getPublic())));
    assertThatThrownBy(() -> KeySet.fromConfig(weakRsa))
        .hasMessage("keys[0].pem: RSA key of 1024 bits is too weak (at least 2048)");
    JsonArray priv =
        new JsonArray()
            .add(
                new JsonObject()
                    .put("pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"));
    assertThatThrownBy(() -> KeySet.fromConfig(priv)).hasMessageContaining("this is a private key");
    KeySet hs =
        KeySet.fromConfig(
            new JsonArray().add(new JsonObject().put("kid", "h").put("secret", "s".repeat(48))));
    assertThat(hs.candidates("h", "HS256")).hasSize(1);
    assertThat(hs.candidates("h", "HS384")).hasSize(1);
    assertThat(hs.candidates("h", "HS512")).isEmpty();
    assertThat(hs.candidates("h", "RS256")).isEmpty();
    assertThat(hs.toString()).doesNotContain("sss");
  }

  static String b64(String s) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
