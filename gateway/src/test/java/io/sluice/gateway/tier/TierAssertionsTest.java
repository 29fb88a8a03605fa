package io.sluice.gateway.tier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jsonwebtoken.Jwts;
import io.sluice.gateway.config.SluiceConfig.Trust;
import io.sluice.gateway.tier.TierAssertions.Asserted;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class TierAssertionsTest {

  private static final SecretKey KEY = secret("0123456789abcdef0123456789abcdef-one");
  private static final SecretKey OTHER = secret("0123456789abcdef0123456789abcdef-two");
  private static final Duration TTL = Duration.ofSeconds(30);

  private static SecretKey secret(String s) {
    return new SecretKeySpec(s.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
  }

  private static Trust hs(SecretKey key, SecretKey... previous) {
    return new Trust(key, null, null, List.of(previous), TTL);
  }

  private static final Asserted ALICE =
      new Asserted(
          "alice",
          List.of("orders:read", "orders:write"),
          Map.of("sub", "alice", "tenant", "acme", "n", 3),
          "get-order",
          "GET",
          "/orders/42",
          "req-1",
          null,
          "203.0.113.7");

  @Test
  void whatTheEdgeAssertsTheCoreReadsBack() throws Exception {
    String token = new TierAssertions.Signer(hs(KEY), "eu-west-1").sign(ALICE, now());
    Asserted a = new TierAssertions.Verifier(hs(KEY)).verify(token);
    assertThat(a.principal()).isEqualTo("alice");
    assertThat(a.scopes()).containsExactly("orders:read", "orders:write");
    assertThat(a.claims()).containsEntry("tenant", "acme").containsEntry("n", 3);
    assertThat(a.routeId()).isEqualTo("get-order");
    assertThat(a.method()).isEqualTo("GET");
    assertThat(a.path()).isEqualTo("/orders/42");
    assertThat(a.requestId()).isEqualTo("req-1");
    assertThat(a.region()).isEqualTo("eu-west-1");
    assertThat(a.clientAddress()).isEqualTo("203.0.113.7");
    String header = new String(Base64.getUrlDecoder().decode(token.split("\\.")[0]));
    assertThat(header).contains("\"alg\":\"HS256\"");
  }

  @Test
  void anAnonymousCallerHasNoPrincipalScopesOrClaims() throws Exception {
    Asserted anonymous = new Asserted(null, null, null, "r", "POST", "/x", "q", null, null);
    Asserted a =
        new TierAssertions.Verifier(hs(KEY))
            .verify(new TierAssertions.Signer(hs(KEY), null).sign(anonymous, now()));
    assertThat(a.principal()).isNull();
    assertThat(a.scopes()).isEmpty();
    assertThat(a.claims()).isEmpty();
    assertThat(a.region()).isNull();
  }

  @Test
  void ecAssertionsAreSignedWithThePrivateKeyAndCheckedWithThePublicOne() throws Exception {
    KeyPair pair = p256();
    String token =
        new TierAssertions.Signer(
                new Trust(null, pair.getPrivate(), null, List.of(), TTL), "us-east-1")
            .sign(ALICE, now());
    Trust core = new Trust(null, null, pair.getPublic(), List.of(), TTL);
    assertThat(new TierAssertions.Verifier(core).verify(token).principal()).isEqualTo("alice");
    Trust stranger = new Trust(null, null, p256().getPublic(), List.of(), TTL);
    assertThatThrownBy(() -> new TierAssertions.Verifier(stranger).verify(token))
        .isInstanceOf(TierAssertions.Refused.class)
        .hasMessageContaining("not signed with a trusted key");
  }

  @Test
  void expiredForgedTamperedAndMissingAssertionsAreRefused() throws Exception {
    TierAssertions.Verifier core = new TierAssertions.Verifier(hs(KEY));
    long longAgo = now() - TTL.toMillis() - Duration.ofSeconds(10).toMillis();
    String expired = new TierAssertions.Signer(hs(KEY), null).sign(ALICE, longAgo);
    assertThatThrownBy(() -> core.verify(expired)).hasMessage("the assertion expired");

    String forged = new TierAssertions.Signer(hs(OTHER), null).sign(ALICE, now());
    assertThatThrownBy(() -> core.verify(forged))
        .hasMessageContaining("not signed with a trusted key");

    String good = new TierAssertions.Signer(hs(KEY), null).sign(ALICE, now());
    String[] parts = good.split("\\.");
    String payload =
        new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
            .replace("alice", "mallory");
    String tampered =
        parts[0]
            + "."
            + Base64.getUrlEncoder().withoutPadding().encodeToString(payload.getBytes())
            + "."
            + parts[2];
    assertThatThrownBy(() -> core.verify(tampered)).isInstanceOf(TierAssertions.Refused.class);

    assertThatThrownBy(() -> core.verify(null)).hasMessage("no assertion");
    assertThatThrownBy(() -> core.verify("")).hasMessage("no assertion");
    assertThatThrownBy(() -> core.verify("not.a.jws")).hasMessageStartingWith("malformed");
  }

  @Test
  void anUnsignedTokenOrOneForAnotherAudienceOrWithoutExpiryIsRefused() {
    TierAssertions.Verifier core = new TierAssertions.Verifier(hs(KEY));
    String unsigned =
        Jwts.builder()
            .issuer("sluice-edge")
            .audience()
            .add("sluice-core")
            .and()
            .subject("mallory")
            .expiration(new Date(now() + 10_000))
            .compact();
    assertThatThrownBy(() -> core.verify(unsigned)).isInstanceOf(TierAssertions.Refused.class);
    String otherAudience =
        Jwts.builder()
            .issuer("sluice-edge")
            .audience()
            .add("something-else")
            .and()
            .expiration(new Date(now() + 10_000))
            .signWith(KEY, Jwts.SIG.HS256)
            .compact();
    assertThatThrownBy(() -> core.verify(otherAudience)).isInstanceOf(TierAssertions.Refused.class);
    String noExpiry =
        Jwts.builder()
            .issuer("sluice-edge")
            .audience()
            .add("sluice-core")
            .and()
            .signWith(KEY, Jwts.SIG.HS256)
            .compact();
    assertThatThrownBy(() -> core.verify(noExpiry)).hasMessage("the assertion has no expiry");
  }

  @Test
  void duringARotationTheCoreAcceptsThePreviousKeyToo() throws Exception {
    String fromOldEdge = new TierAssertions.Signer(hs(OTHER), null).sign(ALICE, now());
    String fromNewEdge = new TierAssertions.Signer(hs(KEY), null).sign(ALICE, now());
    TierAssertions.Verifier rotating = new TierAssertions.Verifier(hs(KEY, OTHER));
    assertThat(rotating.verify(fromOldEdge).principal()).isEqualTo("alice");
    assertThat(rotating.verify(fromNewEdge).principal()).isEqualTo("alice");
  }

  private static long now() {
    return System.currentTimeMillis();
  }

  private static KeyPair p256() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }
}
