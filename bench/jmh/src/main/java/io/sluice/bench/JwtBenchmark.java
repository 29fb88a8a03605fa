package io.sluice.bench;

import io.jsonwebtoken.Jwts;
import io.sluice.api.Policy;
import io.sluice.api.PolicyContext;
import io.sluice.policies.jwt.JwtPolicyFactory;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The jwt policy's cost per request, RS256 and ES256, with the verification cache (the same token
 * again) and without it (every request a signature check); and, for the choice of provider, bare
 * jjwt ES256 verification with the JDK's SunEC and with BouncyCastle: {@code java -jar
 * bench/jmh/target/benchmarks.jar Jwt}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class JwtBenchmark {

  @Param({"RS256", "ES256"})
  String alg;

  Vertx vertx;
  Policy cached;
  Policy uncached;
  String token;
  PublicKey publicKey;
  BenchExchange exchange;
  io.jsonwebtoken.JwtParser sunParser;
  io.jsonwebtoken.JwtParser bcParser;

  @Setup
  public void setup() throws Exception {
    KeyPair pair;
    if (alg.equals("RS256")) {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      pair = g.generateKeyPair();
    } else {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      pair = g.generateKeyPair();
    }
    publicKey = pair.getPublic();
    token =
        Jwts.builder()
            .header()
            .keyId("k1")
            .and()
            .issuer("https://idp.example.com/")
            .audience()
            .add("orders-api")
            .and()
            .subject("user-1234567890")
            .claim("scope", "orders:read orders:write profile")
            .claim("tenant", "acme")
            .issuedAt(new Date())
            .expiration(new Date(System.currentTimeMillis() + 3_600_000))
            .signWith(pair.getPrivate())
            .compact();
    String pem =
        "-----BEGIN PUBLIC KEY-----\n"
            + Base64.getMimeEncoder().encodeToString(publicKey.getEncoded())
            + "\n-----END PUBLIC KEY-----";
    vertx = Vertx.vertx();
    JsonObject config =
        new JsonObject()
            .put("issuer", "https://idp.example.com/")
            .put("audiences", new JsonArray().add("orders-api"))
            .put("algorithms", new JsonArray().add(alg))
            .put("scopes", new JsonArray().add("orders:read"))
            .put("forward", new JsonObject().put("sub", "X-User-Id").put("tenant", "X-Tenant-Id"))
            .put("keys", new JsonArray().add(new JsonObject().put("kid", "k1").put("pem", pem)));
    PolicyContext context = new BenchContext(vertx);
    cached = new JwtPolicyFactory().create(config, context);
    uncached = new JwtPolicyFactory().create(config.copy().put("cacheSize", 0), context);
    exchange = new BenchExchange();
    exchange.headers.set("Authorization", "Bearer " + token);
    sunParser = Jwts.parser().verifyWith(publicKey).build();
    PublicKey bcKey =
        KeyFactory.getInstance(publicKey.getAlgorithm(), new BouncyCastleProvider())
            .generatePublic(new X509EncodedKeySpec(publicKey.getEncoded()));
    bcParser = Jwts.parser().provider(new BouncyCastleProvider()).verifyWith(bcKey).build();
    // Both policies must admit the token, or the numbers mean nothing.
    for (Policy p : new Policy[] {cached, uncached}) {
      p.onRequest(exchange).result();
      if (exchange.status != 0 || !"user-1234567890".equals(exchange.principal)) {
        throw new IllegalStateException("the token was refused: " + exchange.status);
      }
    }
  }

  @TearDown
  public void tearDown() {
    vertx.close();
  }

  @Benchmark
  public Object policyWithCache() {
    return cached.onRequest(exchange);
  }

  @Benchmark
  public Object policyWithoutCache() {
    return uncached.onRequest(exchange);
  }

  @Benchmark
  public Object jjwtWithJdkProvider() {
    return sunParser.parseSignedClaims(token);
  }

  @Benchmark
  public Object jjwtWithBouncyCastle() {
    return bcParser.parseSignedClaims(token);
  }
}
