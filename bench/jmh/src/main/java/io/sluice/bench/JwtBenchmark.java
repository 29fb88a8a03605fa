package io.sluice.bench;

import io.jsonwebtoken.Jwts;
import io.sluice.api.AttributeKey;
import io.sluice.api.Exchange;
import io.sluice.api.Policy;
import io.sluice.api.PolicyContext;
import io.sluice.policies.jwt.JwtPolicyFactory;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;
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
    exchange = new BenchExchange(token);
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

  record BenchContext(Vertx vertx) implements PolicyContext {
    @Override
    public Clock clock() {
      return Clock.systemUTC();
    }

    @Override
    public String routeId() {
      return "bench";
    }

    @Override
    public Path resolve(String path) {
      return Path.of(path);
    }
  }

  /** Just what the jwt policy touches. */
  static final class BenchExchange implements Exchange {
    final MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    final Map<AttributeKey<?>, Object> attributes = new HashMap<>();
    String principal;
    int status;

    BenchExchange(String token) {
      headers.set("Authorization", "Bearer " + token);
      headers.set("Host", "api.example.com");
      headers.set("Accept", "application/json");
    }

    @Override
    public String requestId() {
      return "bench";
    }

    @Override
    public String routeId() {
      return "bench";
    }

    @Override
    public String method() {
      return "GET";
    }

    @Override
    public String path() {
      return "/orders/1";
    }

    @Override
    public String rawQuery() {
      return null;
    }

    @Override
    public void rawQuery(String query) {}

    @Override
    public MultiMap queryParams() {
      return MultiMap.caseInsensitiveMultiMap();
    }

    @Override
    public String pathParam(String name) {
      return null;
    }

    @Override
    public Map<String, String> pathParams() {
      return Map.of();
    }

    @Override
    public MultiMap requestHeaders() {
      return headers;
    }

    @Override
    public String clientAddress() {
      return "127.0.0.1";
    }

    @Override
    public String principal() {
      return principal;
    }

    @Override
    public void principal(String principal) {
      this.principal = principal;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T attribute(AttributeKey<T> key) {
      return (T) attributes.get(key);
    }

    @Override
    public <T> void attribute(AttributeKey<T> key, T value) {
      attributes.put(key, value);
    }

    @Override
    public Buffer body() {
      throw new IllegalStateException();
    }

    @Override
    public void limitBodySize(long bytes) {}

    @Override
    public void respond(int status, MultiMap headers, Buffer body) {
      this.status = status;
    }

    @Override
    public boolean responded() {
      return status != 0;
    }

    @Override
    public int responseStatus() {
      return 0;
    }

    @Override
    public void responseStatus(int status) {}

    @Override
    public MultiMap responseHeaders() {
      return MultiMap.caseInsensitiveMultiMap();
    }
  }
}
