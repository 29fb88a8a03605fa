package io.sluice.bench;

import io.sluice.gateway.config.SluiceConfig.Trust;
import io.sluice.gateway.tier.TierAssertions;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.crypto.spec.SecretKeySpec;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the edge-to-core assertion costs per request: the edge signs one, the core checks one, for
 * an anonymous caller and for one with a principal, scopes and a token's claims: {@code java -jar
 * bench/jmh/target/benchmarks.jar TierAssertion}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TierAssertionBenchmark {

  @Param({"HS256", "ES256"})
  String algorithm;

  @Param({"anonymous", "caller"})
  String who;

  TierAssertions.Signer signer;
  TierAssertions.Verifier verifier;
  TierAssertions.Asserted asserted;
  String token;

  @Setup
  public void setup() throws Exception {
    Duration ttl = Duration.ofSeconds(30);
    if (algorithm.equals("HS256")) {
      SecretKeySpec key =
          new SecretKeySpec(
              "bench-tier-key-0123456789abcdef0123456789".getBytes(StandardCharsets.UTF_8),
              "HmacSHA256");
      Trust trust = new Trust(key, null, null, List.of(), ttl);
      signer = new TierAssertions.Signer(trust, "eu-west-1");
      verifier = new TierAssertions.Verifier(trust);
    } else {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair pair = g.generateKeyPair();
      signer =
          new TierAssertions.Signer(
              new Trust(null, pair.getPrivate(), null, List.of(), ttl), "eu-west-1");
      verifier =
          new TierAssertions.Verifier(new Trust(null, null, pair.getPublic(), List.of(), ttl));
    }
    asserted =
        who.equals("anonymous")
            ? new TierAssertions.Asserted(
                null,
                null,
                null,
                "hello",
                "GET",
                "/hello",
                "6b3240099b814554879963aed890111c",
                null,
                "203.0.113.7")
            : new TierAssertions.Asserted(
                "user-1234",
                List.of("orders:read", "orders:write"),
                Map.of(
                    "iss", "https://auth.example.com/",
                    "sub", "user-1234",
                    "aud", "orders-api",
                    "exp", 1_900_000_000L,
                    "iat", 1_800_000_000L,
                    "scope", "orders:read orders:write",
                    "tenant", "acme"),
                "get-order",
                "GET",
                "/orders/42",
                "6b3240099b814554879963aed890111c",
                null,
                "203.0.113.7");
    token = signer.sign(asserted, System.currentTimeMillis());
  }

  @Benchmark
  public String sign() {
    return signer.sign(asserted, System.currentTimeMillis());
  }

  @Benchmark
  public TierAssertions.Asserted verify() throws TierAssertions.Refused {
    return verifier.verify(token);
  }
}
