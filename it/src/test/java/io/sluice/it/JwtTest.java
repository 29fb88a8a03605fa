package io.sluice.it;

import static io.sluice.it.support.Idp.b64;
import static io.sluice.it.support.Idp.claims;
import static io.sluice.it.support.Idp.signHs256;
import static io.sluice.it.support.Idp.signRs256;
import static io.sluice.it.support.Idp.token;
import static org.assertj.core.api.Assertions.assertThat;

import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.security.Jwks;
import io.sluice.it.support.Idp;
import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestBackend;
import io.sluice.testkit.TestResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The jwt policy through the running gateway, against a loopback IdP whose keys rotate and which
 * can go down. Each refusal the policy promises has its own test.
 */
class JwtTest {

  static final KeyPair RSA_1 = Idp.rsa(2048);
  static final KeyPair RSA_2 = Idp.rsa(2048);
  static final KeyPair EC_1 = Idp.ec();
  static final KeyPair WEAK = Idp.rsa(1024);
  static final KeyPair ATTACKER = Idp.rsa(2048);
  static final String HS_SECRET = "0123456789abcdef0123456789abcdef-hs256";

  static final Idp idp = new Idp();
  static final TestBackend evil = TestBackend.echo();

  static {
    Map<String, java.security.PublicKey> main = new LinkedHashMap<>();
    main.put("rsa-1", RSA_1.getPublic());
    main.put("ec-1", EC_1.getPublic());
    main.put("weak", WEAK.getPublic());
    idp.publish("/main.json", main);
    idp.publish("/rotating.json", Map.of("rsa-1", RSA_1.getPublic()));
    idp.publish("/flaky.json", Map.of("rsa-1", RSA_1.getPublic()));
  }

  static final String JWT = "{ issuer: \"https://idp.test/\", audiences: [ orders-api ], ";

  @RegisterExtension
  static final SluiceExtension sluice =
      SluiceExtension.withConfig(
              """
              backends:
                echo: { type: http, targets: [ "${backend:echo}" ] }
              routes:
                - id: orders
                  match: { path: "/orders/**" }
                  backend: echo
                  policies:
                    - jwt:
                        issuer: [ "https://other.test/", "https://idp.test/" ]
                        audiences: [ orders-api ]
                        jwks: "${backend:idp}/main.json"
                        scopes: [ "orders:read" ]
                        forward: { sub: X-User-Id, tenant: X-Tenant-Id }
                    - test-whoami: {}
                - id: rotating
                  match: { path: "/rotating/**" }
                  backend: echo
                  policies:
                    - jwt: %1$s jwks: { url: "${backend:idp}/rotating.json", minRefetch: 1s } }
                - id: flaky
                  match: { path: "/flaky/**" }
                  backend: echo
                  policies:
                    - jwt: %1$s jwks: { url: "${backend:idp}/flaky.json", refresh: 1s, minRefetch: 1s } }
                - id: dead
                  match: { path: "/dead/**" }
                  backend: echo
                  policies:
                    - jwt: %1$s jwks: "${backend:idp}/dead.json" }
                - id: hs
                  match: { path: "/hs/**" }
                  backend: echo
                  policies:
                    - jwt:
                        issuer: "https://idp.test/"
                        audiences: orders-api
                        algorithms: [ HS256, RS256 ]
                        keys:
                          - { kid: hs, secret: "${env:HS_SECRET}" }
                          - { kid: rsa-1, pem: "${env:RSA_PEM}" }
                - id: cookie
                  match: { path: "/cookie/**" }
                  backend: echo
                  policies:
                    - jwt: %1$s jwks: "${backend:idp}/main.json", token: { cookie: access_token } }
              """
                  .formatted(JWT))
          .env("HS_SECRET", HS_SECRET)
          .env("RSA_PEM", Idp.pem(RSA_1.getPublic()))
          .backend("echo", TestBackend.echo())
          .backend("idp", idp.server())
          .backend("evil", evil)
          .build();

  @BeforeEach
  void reset() {
    sluice.backend("echo").reset();
  }

  static Map<String, String> bearer(String token) {
    return Map.of("Authorization", "Bearer " + token);
  }

  TestResponse get(String path, String token) {
    return sluice.client().send(HttpMethod.GET, path, bearer(token), null);
  }

  TestResponse get(String path, Map<String, String> headers) {
    return sluice.client().send(HttpMethod.GET, path, headers, null);
  }

  static String rs256(String kid, String subject) {
    return token(kid, subject).claim("scope", "orders:read").signWith(RSA_1.getPrivate()).compact();
  }

  void assertInvalidToken(TestResponse r, String path) {
    assertThat(r.status()).as(r.body()).isEqualTo(401);
    assertThat(r.header("WWW-Authenticate"))
        .isEqualTo("Bearer realm=\"sluice\", error=\"invalid_token\"");
    assertThat(r.json().getString("type")).isEqualTo("urn:sluice:problem:unauthorized");
    assertThat(r.json().getString("detail")).isEqualTo("A valid bearer token is required.");
    assertThat(sluice.backend("echo").reached(path)).as("backend reached").isFalse();
  }

  @Test
  void aGoodRs256TokenPassesWithThePrincipalScopesAndForwardedClaims() {
    String t =
        token("rsa-1", "alice")
            .claim("scope", "orders:read orders:write")
            .claim("tenant", "acme")
            .signWith(RSA_1.getPrivate())
            .compact();
    TestResponse r = get("/orders/1", t);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonObject h = r.json().getJsonObject("headers");
    assertThat(h.getString("x-user-id")).isEqualTo("alice");
    assertThat(h.getString("x-tenant-id")).isEqualTo("acme");
    assertThat(h.getString("x-principal")).isEqualTo("alice");
    assertThat(h.getString("x-scopes")).isEqualTo("[orders:read, orders:write]");
    assertThat(h.getString("authorization")).isEqualTo("Bearer " + t);
    // the same token again: from the cache, same answer
    assertThat(get("/orders/1b", t).json().getJsonObject("headers").getString("x-user-id"))
        .isEqualTo("alice");
  }

  @Test
  void aGoodEs256TokenPasses() {
    String t =
        token("ec-1", "erin")
            .claim("scp", List.of("orders:read"))
            .signWith(EC_1.getPrivate())
            .compact();
    TestResponse r = get("/orders/2", t);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().getJsonObject("headers").getString("x-user-id")).isEqualTo("erin");
  }

  @Test
  void noTokenIsA401WithABareChallenge() {
    TestResponse r = sluice.client().get("/orders/none");
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"sluice\"");
    assertThat(r.json().getString("type")).isEqualTo("urn:sluice:problem:unauthorized");
    TestResponse basic = get("/orders/basic", Map.of("Authorization", "Basic YWxpY2U6c2VjcmV0"));
    assertThat(basic.status()).isEqualTo(401);
    assertThat(basic.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"sluice\"");
    assertThat(sluice.backend("echo").reached("/orders/none")).isFalse();
  }

  @Test
  void algNoneIsRefusedInAnySpelling() {
    for (String alg : List.of("none", "None", "NONE", "nOnE")) {
      String header = "{\"alg\":\"" + alg + "\",\"kid\":\"rsa-1\"}";
      String unsigned = b64(header) + "." + b64(claims("")) + ".";
      assertInvalidToken(get("/orders/none-" + alg, unsigned), "/orders/none-" + alg);
      String withJunk = b64(header) + "." + b64(claims("")) + "." + b64("junk");
      assertInvalidToken(get("/orders/none2-" + alg, withJunk), "/orders/none2-" + alg);
    }
  }

  @Test
  void anAlgorithmOutsideTheAllowListIsRefusedEvenWithAGoodKeyAndSignature() {
    String rs512 =
        token("rsa-1", "alice")
            .claim("scope", "orders:read")
            .signWith(RSA_1.getPrivate(), Jwts.SIG.RS512)
            .compact();
    assertInvalidToken(get("/orders/rs512", rs512), "/orders/rs512");
    String ps256 =
        token("rsa-1", "alice")
            .claim("scope", "orders:read")
            .signWith(RSA_1.getPrivate(), Jwts.SIG.PS256)
            .compact();
    assertInvalidToken(get("/orders/ps256", ps256), "/orders/ps256");
  }

  @Test
  void anHmacTokenSignedWithThePublicKeyIsRefused() {
    // The classic confusion: HS256 "signed" with the RSA public key as the HMAC secret.
    String payload = claims("");
    byte[] pemBytes = Idp.pem(RSA_1.getPublic()).getBytes(StandardCharsets.US_ASCII);
    byte[] derBytes = RSA_1.getPublic().getEncoded();
    for (String kid : List.of("\"kid\":\"rsa-1\",", "")) {
      String header = "{" + kid + "\"alg\":\"HS256\"}";
      assertInvalidToken(get("/hs/pem", signHs256(header, payload, pemBytes)), "/hs/pem");
      assertInvalidToken(get("/hs/der", signHs256(header, payload, derBytes)), "/hs/der");
    }
    // on a route without HS256 in its list as well
    String header = "{\"kid\":\"rsa-1\",\"alg\":\"HS256\"}";
    assertInvalidToken(get("/orders/hs", signHs256(header, payload, pemBytes)), "/orders/hs");
    // while the route's real secret and RSA key both work
    String good = signHs256("{\"kid\":\"hs\",\"alg\":\"HS256\"}", payload, HS_SECRET.getBytes());
    assertThat(get("/hs/good", good).status()).isEqualTo(200);
    assertThat(get("/hs/rsa", rs256("rsa-1", "alice")).status()).isEqualTo(200);
  }

  @Test
  void aTokenWithoutExpIsRefused() {
    String t =
        Jwts.builder()
            .header()
            .keyId("rsa-1")
            .and()
            .issuer(Idp.ISSUER)
            .audience()
            .add("orders-api")
            .and()
            .subject("alice")
            .claim("scope", "orders:read")
            .signWith(RSA_1.getPrivate())
            .compact();
    assertInvalidToken(get("/orders/noexp", t), "/orders/noexp");
  }

  @Test
  void anExpiredTokenIsRefusedBeyondTheClockSkew() {
    long now = System.currentTimeMillis();
    String expiredLongAgo =
        token("rsa-1", "alice")
            .claim("scope", "orders:read")
            .expiration(new Date(now - 120_000))
            .signWith(RSA_1.getPrivate())
            .compact();
    assertInvalidToken(get("/orders/expired", expiredLongAgo), "/orders/expired");
    String expiredWithinSkew =
        token("rsa-1", "alice")
            .claim("scope", "orders:read")
            .expiration(new Date(now - 10_000))
            .signWith(RSA_1.getPrivate())
            .compact();
    assertThat(get("/orders/skew", expiredWithinSkew).status()).isEqualTo(200);
  }

  @Test
  void aTokenNotValidYetIsRefusedBeyondTheClockSkew() {
    long now = System.currentTimeMillis();
    String notYet =
        token("rsa-1", "alice")
            .claim("scope", "orders:read")
            .notBefore(new Date(now + 120_000))
            .signWith(RSA_1.getPrivate())
            .compact();
    assertInvalidToken(get("/orders/nbf", notYet), "/orders/nbf");
    String soon =
        token("rsa-1", "alice")
            .claim("scope", "orders:read")
            .notBefore(new Date(now + 10_000))
            .signWith(RSA_1.getPrivate())
            .compact();
    assertThat(get("/orders/nbf-skew", soon).status()).isEqualTo(200);
  }

  @Test
  void aWrongIssuerIsRefused() {
    String iss =
        token("rsa-1", "alice")
            .issuer("https://evil.test/")
            .claim("scope", "orders:read")
            .signWith(RSA_1.getPrivate())
            .compact();
    assertInvalidToken(get("/orders/iss", iss), "/orders/iss");
    String second =
        token("rsa-1", "alice")
            .issuer("https://other.test/")
            .claim("scope", "orders:read")
            .signWith(RSA_1.getPrivate())
            .compact();
    assertThat(get("/orders/iss2", second).status()).isEqualTo(200);
  }

  @Test
  void aWrongAudienceIsRefused() {
    String aud =
        token("rsa-1", "alice")
            .audience()
            .single("billing-api")
            .claim("scope", "orders:read")
            .signWith(RSA_1.getPrivate())
            .compact();
    assertInvalidToken(get("/orders/aud", aud), "/orders/aud");
  }

  @Test
  void anUnsupportedCritHeaderIsRefused() {
    String header =
        "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"crit\":[\"x-bind\"],\"x-bind\":\"abc\"}";
    String t = signRs256(header, claims(""), RSA_1.getPrivate());
    assertInvalidToken(get("/orders/crit", t), "/orders/crit");
    // the same, without crit, is fine: the refusal is for crit
    String ok = signRs256("{\"alg\":\"RS256\",\"kid\":\"rsa-1\"}", claims(""), RSA_1.getPrivate());
    assertThat(get("/orders/nocrit", ok).status()).isEqualTo(200);
  }

  @Test
  void aTamperedTokenIsRefused() {
    String[] parts = rs256("rsa-1", "alice").split("\\.");
    String admin = b64(claims("").replace("mallory", "admin"));
    assertInvalidToken(
        get("/orders/tampered", parts[0] + "." + admin + "." + parts[2]), "/orders/tampered");
    String flipped =
        parts[0]
            + "."
            + parts[1]
            + "."
            + (parts[2].charAt(0) == 'A' ? "B" : "A")
            + parts[2].substring(1);
    assertInvalidToken(get("/orders/flipped", flipped), "/orders/flipped");
    String otherKey =
        token("rsa-1", "alice")
            .claim("scope", "orders:read")
            .signWith(ATTACKER.getPrivate())
            .compact();
    assertInvalidToken(get("/orders/otherkey", otherKey), "/orders/otherkey");
  }

  @Test
  void aStrippedSignatureIsRefused() {
    String[] parts = rs256("rsa-1", "alice").split("\\.");
    assertInvalidToken(
        get("/orders/stripped", parts[0] + "." + parts[1] + "."), "/orders/stripped");
    assertInvalidToken(get("/orders/twoparts", parts[0] + "." + parts[1]), "/orders/twoparts");
    assertInvalidToken(get("/orders/garbage", "not-a-token"), "/orders/garbage");
    assertInvalidToken(get("/orders/jwe", "a.b.c.d.e"), "/orders/jwe");
  }

  @Test
  void anOversizedTokenIsRefusedEvenWhenItsSignatureIsGood() {
    String big =
        token("rsa-1", "alice")
            .claim("scope", "orders:read")
            .claim("padding", "x".repeat(9000))
            .signWith(RSA_1.getPrivate())
            .compact();
    assertThat(big.length()).isGreaterThan(8192);
    assertInvalidToken(get("/orders/big", big), "/orders/big");
  }

  @Test
  void keysNamedByTheTokenAreNeverFetchedOrTrusted() {
    String evilJwks = evil.url() + "/jwks.json";
    String jwk = Jwks.json(Jwks.builder().key(ATTACKER.getPublic()).id("evil-1").build());
    String header =
        "{\"alg\":\"RS256\",\"kid\":\"evil-1\",\"jku\":\""
            + evilJwks
            + "\",\"x5u\":\""
            + evil.url()
            + "/cert.pem\",\"jwk\":"
            + jwk
            + "}";
    String t = signRs256(header, claims(""), ATTACKER.getPrivate());
    assertInvalidToken(get("/orders/jku", t), "/orders/jku");
    // kid of a real key, but the embedded jwk and the signature are the attacker's
    String header2 = header.replace("evil-1\",\"jku", "rsa-1\",\"jku");
    assertInvalidToken(
        get("/orders/jwk", signRs256(header2, claims(""), ATTACKER.getPrivate())), "/orders/jwk");
    assertThat(evil.requestCount()).as("requests to URLs named in tokens").isZero();
  }

  @Test
  void aGoodTokenWithoutTheScopesIsA403() {
    String t =
        token("rsa-1", "alice")
            .claim("scope", "orders:write")
            .signWith(RSA_1.getPrivate())
            .compact();
    TestResponse r = get("/orders/scope", t);
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.header("WWW-Authenticate"))
        .isEqualTo("Bearer realm=\"sluice\", error=\"insufficient_scope\", scope=\"orders:read\"");
    assertThat(r.json().getString("type")).isEqualTo("urn:sluice:problem:insufficient-scope");
    assertThat(sluice.backend("echo").reached("/orders/scope")).isFalse();
    String none = token("rsa-1", "alice").signWith(RSA_1.getPrivate()).compact();
    assertThat(get("/orders/noscope", none).status()).isEqualTo(403);
  }

  @Test
  void forwardedClaimHeadersCannotBeSpoofedByTheClient() {
    String t = rs256("rsa-1", "alice"); // no tenant claim
    Map<String, String> headers = new LinkedHashMap<>(bearer(t));
    headers.put("X-User-Id", "admin");
    headers.put("X-Tenant-Id", "someone-else");
    TestResponse r = get("/orders/spoof", headers);
    assertThat(r.status()).isEqualTo(200);
    JsonObject h = r.json().getJsonObject("headers");
    assertThat(h.getString("x-user-id")).isEqualTo("alice");
    assertThat(h.containsKey("x-tenant-id")).isFalse();
    // and a claim that would inject a header is not forwarded at all
    String crlf =
        token("rsa-1", "alice")
            .claim("scope", "orders:read")
            .claim("tenant", "acme\r\nX-Admin: true")
            .signWith(RSA_1.getPrivate())
            .compact();
    JsonObject h2 = get("/orders/crlf", crlf).json().getJsonObject("headers");
    assertThat(h2.containsKey("x-tenant-id")).isFalse();
    assertThat(h2.containsKey("x-admin")).isFalse();
  }

  @Test
  void aWeakKeyInTheJwksIsLeftOut() {
    // jjwt will not even sign with a 1024-bit key; the JDK will
    String t = signRs256("{\"alg\":\"RS256\",\"kid\":\"weak\"}", claims(""), WEAK.getPrivate());
    assertInvalidToken(get("/orders/weak", t), "/orders/weak");
  }

  @Test
  void weakKeysInTheRouteFileStopTheGatewayFromStarting() throws Exception {
    String route =
        """
        backends:
          echo: { type: http, targets: [ "http://127.0.0.1:9" ] }
        routes:
          - id: weak
            match: { path: "/w" }
            backend: echo
            policies:
              - jwt:
                  issuer: x
                  audiences: y
                  algorithms: [ RS256, HS256 ]
                  keys: [ { kid: k, %s } ]
        """;
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      for (String[] c :
          new String[][] {
            {
              "pem: \"${env:PEM}\"",
              Idp.pem(WEAK.getPublic()),
              "keys[0].pem: RSA key of 1024 bits is too weak"
            },
            {
              "secret: \"${env:PEM}\"",
              "only-31-bytes-of-secret-0123456",
              "keys[0].secret: too short for HMAC (248 bits"
            }
          }) {
        io.sluice.gateway.config.SluiceConfig config =
            new io.sluice.gateway.config.ConfigLoader(k -> k.equals("PEM") ? c[1] : null)
                .load("routes.yaml", null, route.formatted(c[0]));
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> io.sluice.gateway.server.Gateway.start(vertx, config, 1))
            .hasMessageContaining("routes.yaml:")
            .hasMessageContaining(c[2])
            .hasMessageNotContaining(c[1].substring(0, 20));
      }
    } finally {
      vertx.close();
    }
  }

  @Test
  void aTokenCanComeFromACookie() {
    String t = rs256("rsa-1", "alice");
    TestResponse r = get("/cookie/1", Map.of("Cookie", "theme=dark; access_token=" + t + "; x=1"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(get("/cookie/2", bearer(t)).status()).isEqualTo(401);
  }

  @Test
  void aRotatedKeyIsFetchedOnItsFirstTokenAndARemovedKeyStopsWorking() throws Exception {
    String old = rs256("rsa-1", "alice");
    assertThat(get("/rotating/1", old).status()).isEqualTo(200);
    int before = idp.fetches("/rotating.json");
    idp.publish("/rotating.json", Map.of("rsa-2", RSA_2.getPublic()));
    Thread.sleep(1100); // past minRefetch since the last fetch
    String fresh = token("rsa-2", "bob").signWith(RSA_2.getPrivate()).compact();
    TestResponse r = get("/rotating/2", fresh);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(idp.fetches("/rotating.json")).isEqualTo(before + 1);
    // the old token was verified before; with its key gone it is refused, cache or not
    assertInvalidToken(get("/rotating/3", old), "/rotating/3");
  }

  @Test
  void madeUpKidsDoNotBecomeAStreamOfJwksFetches() {
    int before = idp.fetches("/main.json");
    for (int i = 0; i < 50; i++) {
      String t =
          token("kid-" + UUID.randomUUID(), "alice").signWith(ATTACKER.getPrivate()).compact();
      assertThat(get("/orders/random", t).status()).isEqualTo(401);
    }
    // at most one refetch per 30s (the default minRefetch)
    assertThat(idp.fetches("/main.json") - before).isLessThanOrEqualTo(1);
  }

  @Test
  void whenTheIdpIsDownTheLastGoodKeysStayInUse() throws Exception {
    assertThat(get("/flaky/1", rs256("rsa-1", "alice")).status()).isEqualTo(200);
    idp.down("/flaky.json", true);
    try {
      int before = idp.fetches("/flaky.json");
      List<Integer> statuses = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        Thread.sleep(400); // refresh is due every second
        statuses.add(get("/flaky/2", rs256("rsa-1", "alice")).status()); // new token: no cache
      }
      assertThat(statuses).containsOnly(200);
      int during = idp.fetches("/flaky.json") - before;
      assertThat(during).as("fetches while down").isBetween(1, 4);
      String unknown = token("rsa-2", "bob").signWith(RSA_2.getPrivate()).compact();
      assertThat(get("/flaky/3", unknown).status()).isEqualTo(401);
    } finally {
      idp.down("/flaky.json", false);
    }
  }

  @Test
  void withNoKeysAtAllTheAnswerIsA503WithRetryAfterAndFetchesStayRare() {
    int before = idp.fetches("/dead.json");
    for (int i = 0; i < 10; i++) {
      TestResponse r = get("/dead/1", rs256("rsa-1", "alice"));
      assertThat(r.status()).isEqualTo(503);
      assertThat(r.json().getString("type")).isEqualTo("urn:sluice:problem:auth-unavailable");
      assertThat(Integer.parseInt(r.header("Retry-After"))).isBetween(1, 30);
    }
    assertThat(idp.fetches("/dead.json") - before).isLessThanOrEqualTo(1);
    assertThat(sluice.backend("echo").reached("/dead/1")).isFalse();
  }
}
