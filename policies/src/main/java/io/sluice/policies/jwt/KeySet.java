package io.sluice.policies.jwt;

import io.jsonwebtoken.jackson.io.JacksonDeserializer;
import io.jsonwebtoken.security.Jwk;
import io.jsonwebtoken.security.JwkSet;
import io.jsonwebtoken.security.Jwks;
import io.jsonwebtoken.security.PublicJwk;
import io.sluice.policies.Digests;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verification keys, immutable: from a JWKS document or from the route file. Each key says which
 * algorithms it can verify, from its own type and size (an RSA key never verifies an HMAC token).
 * Weak keys are not loaded: RSA under 2048 bits, HMAC secrets under 256 bits.
 */
final class KeySet {

  static final int MIN_RSA_BITS = 2048;
  static final int MIN_SECRET_BYTES = 32;

  private static final Set<String> RSA_ALGS =
      Set.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512");

  /** A key and the algorithms it may verify. The key material never appears in toString. */
  record VerificationKey(String kid, Key key, Set<String> algorithms, String fingerprint) {
    @Override
    public String toString() {
      return "key{kid=" + kid + ", algorithms=" + algorithms + "}";
    }
  }

  private final List<VerificationKey> keys;

  KeySet(List<VerificationKey> keys) {
    this.keys = List.copyOf(keys);
  }

  List<VerificationKey> keys() {
    return keys;
  }

  /**
   * The keys that may verify a token with this {@code alg} and {@code kid}. With a kid: only keys
   * with that kid. Without: every key for the algorithm.
   */
  List<VerificationKey> candidates(String kid, String alg) {
    List<VerificationKey> out = null;
    for (VerificationKey k : keys) {
      if ((kid == null || kid.equals(k.kid())) && k.algorithms().contains(alg)) {
        if (out == null) {
          out = new ArrayList<>(2);
        }
        out.add(k);
      }
    }
    return out == null ? List.of() : out;
  }

  /** Whether both hold the same keys (ids, algorithms and material). */
  boolean sameKeysAs(KeySet other) {
    if (other == null || other.keys.size() != keys.size()) {
      return false;
    }
    Set<String> mine = new HashSet<>();
    keys.forEach(k -> mine.add(k.fingerprint()));
    return other.keys.stream().allMatch(k -> mine.contains(k.fingerprint()));
  }

  /**
   * Reads a JWKS document. Keys that cannot be used are left out with a warning: private or
   * symmetric keys (a published key set holds public keys only), keys not for signatures, weak
   * keys, and keys whose {@code alg} is not one Sluice knows. Throws when the document is not a
   * JWKS or holds no usable key.
   */
  static KeySet parseJwks(String json, Consumer<String> warnings) {
    JwkSet set =
        Jwks.setParser()
            .json(new JacksonDeserializer<>())
            .ignoreUnsupported(true)
            .build()
            .parse(json);
    List<VerificationKey> out = new ArrayList<>();
    for (Jwk<?> jwk : set.getKeys()) {
      String kid = jwk.getId();
      String label = kid == null ? "a key without kid" : "key " + kid;
      if (!(jwk instanceof PublicJwk<?> pub)) {
        warnings.accept(label + " is not a public key; left out");
        continue;
      }
      String use = pub.getPublicKeyUse();
      if (use != null && !use.equals("sig")) {
        warnings.accept(label + " is for use '" + use + "', not 'sig'; left out");
        continue;
      }
      Key key = pub.toKey();
      Set<String> algs;
      try {
        algs = algorithmsFor(key);
      } catch (IllegalArgumentException e) {
        warnings.accept(label + ": " + e.getMessage() + "; left out");
        continue;
      }
      String alg = jwk.getAlgorithm();
      if (alg != null) {
        if (!algs.contains(alg)) {
          warnings.accept(label + " says alg " + alg + ", which its key cannot do; left out");
          continue;
        }
        algs = Set.of(alg);
      }
      out.add(key(kid, Providers.forVerification(key), algs));
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("the key set holds no usable signature key");
    }
    return new KeySet(out);
  }

  /** Reads {@code keys:} from the route file; a bad or weak key is an error. */
  static KeySet fromConfig(JsonArray keys) {
    List<VerificationKey> out = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      JsonObject k = keys.getJsonObject(i);
      String kid = k.getString("kid");
      String where = "keys[" + i + "]";
      if (k.containsKey("secret")) {
        byte[] secret = k.getString("secret").getBytes(StandardCharsets.UTF_8);
        if (secret.length < MIN_SECRET_BYTES) {
          throw new IllegalArgumentException(
              where
                  + ".secret: too short for HMAC ("
                  + secret.length * 8
                  + " bits; at least 256 are needed)");
        }
        // One entry per HMAC algorithm the secret is long enough for.
        for (int bits : new int[] {256, 384, 512}) {
          if (secret.length * 8 >= bits) {
            Key key = new SecretKeySpec(secret, "HmacSHA" + bits);
            out.add(key(kid, key, Set.of("HS" + bits)));
          }
        }
      } else {
        PublicKey key;
        try {
          key = readPem(k.getString("pem"));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
          throw new IllegalArgumentException(where + ".pem: " + e.getMessage());
        }
        Set<String> algs;
        try {
          algs = algorithmsFor(key);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(where + ".pem: " + e.getMessage());
        }
        out.add(key(kid, Providers.forVerification(key), algs));
      }
    }
    return new KeySet(out);
  }

  /** The algorithms a public key can verify; throws for weak or unknown keys. */
  static Set<String> algorithmsFor(Key key) {
    if (key instanceof RSAPublicKey rsa) {
      int bits = rsa.getModulus().bitLength();
      if (bits < MIN_RSA_BITS) {
        throw new IllegalArgumentException(
            "RSA key of " + bits + " bits is too weak (at least " + MIN_RSA_BITS + ")");
      }
      return RSA_ALGS;
    }
    if (key instanceof ECPublicKey ec) {
      int field = ec.getParams().getCurve().getField().getFieldSize();
      return switch (field) {
        case 256 -> Set.of("ES256");
        case 384 -> Set.of("ES384");
        case 521 -> Set.of("ES512");
        default ->
            throw new IllegalArgumentException(
                "EC curve of " + field + " bits is not P-256, P-384 or P-521");
      };
    }
    if (Providers.isEdDsa(key)) {
      return Set.of("EdDSA");
    }
    throw new IllegalArgumentException(
        "a "
            + key.getAlgorithm()
            + " key cannot verify signatures here (expected RSA, EC or Ed25519)");
  }

  static PublicKey readPem(String pem) throws GeneralSecurityException {
    String text = pem.strip();
    if (text.contains("PRIVATE KEY")) {
      throw new IllegalArgumentException(
          "this is a private key; give the public key (or the certificate) instead");
    }
    if (text.startsWith("-----BEGIN CERTIFICATE-----")) {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      return cf.generateCertificate(
              new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)))
          .getPublicKey();
    }
    if (!text.startsWith("-----BEGIN PUBLIC KEY-----")
        || !text.endsWith("-----END PUBLIC KEY-----")) {
      throw new IllegalArgumentException(
          "expected a PEM public key (-----BEGIN PUBLIC KEY-----) or certificate");
    }
    String body =
        text.substring(
                "-----BEGIN PUBLIC KEY-----".length(),
                text.length() - "-----END PUBLIC KEY-----".length())
            .replaceAll("\\s", "");
    byte[] der;
    try {
      der = Base64.getDecoder().decode(body);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the PEM body is not base64");
    }
    X509EncodedKeySpec spec = new X509EncodedKeySpec(der);
    for (String type : List.of("RSA", "EC", "EdDSA")) {
      try {
        return KeyFactory.getInstance(type).generatePublic(spec);
      } catch (GeneralSecurityException e) {
        // try the next type
      }
    }
    throw new IllegalArgumentException("not an RSA, EC or EdDSA public key");
  }

  private static VerificationKey key(String kid, Key key, Collection<String> algs) {
    // A digest of the material, so that not even this string holds a secret.
    String material = HexFormat.of().formatHex(Digests.sha256(key.getEncoded()));
    String fingerprint =
        kid + "|" + key.getAlgorithm() + "|" + new TreeSet<>(algs) + "|" + material;
    return new VerificationKey(kid, key, Set.copyOf(algs), fingerprint);
  }

  @Override
  public String toString() {
    return keys.toString();
  }
}
