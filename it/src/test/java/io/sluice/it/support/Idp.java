package io.sluice.it.support;

import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.security.Jwks;
import io.sluice.testkit.TestBackend;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A loopback identity provider for tests: publishes JWKS documents at paths that a test can rotate
 * or take down, counts the fetches, and mints tokens (well-formed ones with jjwt, crafted ones by
 * hand).
 */
public final class Idp {

  public static final String ISSUER = "https://idp.test/";

  private final Map<String, String> documents = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> fetches = new ConcurrentHashMap<>();
  private final Set<String> down = ConcurrentHashMap.newKeySet();
  private final TestBackend server;

  public Idp() {
    this.server =
        TestBackend.of(
            req -> {
              String path = req.path();
              fetches.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
              String doc = documents.get(path);
              if (doc == null || down.contains(path)) {
                req.response().setStatusCode(503).end("down");
              } else {
                req.response().putHeader("content-type", "application/json").end(doc);
              }
            });
  }

  public TestBackend server() {
    return server;
  }

  /** Publishes these keys (kid to public key) at the path. */
  public void publish(String path, Map<String, PublicKey> keys) {
    StringBuilder json = new StringBuilder("{\"keys\":[");
    keys.forEach(
        (kid, key) -> {
          if (json.charAt(json.length() - 1) != '[') {
            json.append(',');
          }
          json.append(Jwks.json(Jwks.builder().key(key).id(kid).build()));
        });
    documents.put(path, json.append("]}").toString());
  }

  public void publishRaw(String path, String document) {
    documents.put(path, document);
  }

  public void down(String path, boolean isDown) {
    if (isDown) {
      down.add(path);
    } else {
      down.remove(path);
    }
  }

  public int fetches(String path) {
    AtomicInteger n = fetches.get(path);
    return n == null ? 0 : n.get();
  }

  public static KeyPair rsa(int bits) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(bits);
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static KeyPair ec() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static String pem(PublicKey key) {
    return pem("PUBLIC KEY", key.getEncoded());
  }

  /** DER bytes as a PEM block of {@code type} (PUBLIC KEY, PRIVATE KEY). */
  public static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  /** A token as an IdP would issue it, for audience orders-api, valid for five minutes. */
  public static io.jsonwebtoken.JwtBuilder token(String kid, String subject) {
    long now = System.currentTimeMillis();
    return Jwts.builder()
        .header()
        .keyId(kid)
        .and()
        .issuer(ISSUER)
        .audience()
        .add("orders-api")
        .and()
        .subject(subject)
        .issuedAt(new java.util.Date(now))
        .expiration(new java.util.Date(now + 300_000))
        .id(java.util.UUID.randomUUID().toString());
  }

  /** Claims JSON of a good token, for hand-made tokens. */
  public static String claims(String extra) {
    long now = System.currentTimeMillis() / 1000;
    return "{\"iss\":\""
        + ISSUER
        + "\",\"aud\":\"orders-api\",\"sub\":\"mallory\",\"exp\":"
        + (now + 300)
        + ",\"scope\":\"orders:read\""
        + (extra.isEmpty() ? "" : "," + extra)
        + "}";
  }

  public static String b64(String s) {
    return b64(s.getBytes(StandardCharsets.UTF_8));
  }

  public static String b64(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** header.payload, signed by hand with RSA SHA-256. */
  public static String signRs256(String header, String payload, PrivateKey key) {
    try {
      String input = b64(header) + "." + b64(payload);
      Signature s = Signature.getInstance("SHA256withRSA");
      s.initSign(key);
      s.update(input.getBytes(StandardCharsets.US_ASCII));
      return input + "." + b64(s.sign());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** header.payload, signed by hand with HMAC SHA-256 and these secret bytes. */
  public static String signHs256(String header, String payload, byte[] secret) {
    try {
      String input = b64(header) + "." + b64(payload);
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return input + "." + b64(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
