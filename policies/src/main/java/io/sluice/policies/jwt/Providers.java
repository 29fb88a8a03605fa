package io.sluice.policies.jwt;

import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.Provider;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * Which JCA provider verifies which key. The JDK's SunEC verifies ECDSA several times slower than
 * BouncyCastle (see the numbers in the README), so EC and EdDSA keys are turned into BouncyCastle
 * keys and verified by it; RSA and HMAC stay with the JDK, which is as fast. BouncyCastle is used
 * as an object here, never installed into the JVM's provider list.
 */
final class Providers {

  static final Provider BOUNCY_CASTLE = new BouncyCastleProvider();

  private Providers() {}

  /** The key as its verifying provider wants it. */
  static Key forVerification(Key key) {
    if (!(key instanceof ECPublicKey) && !isEdDsa(key)) {
      return key;
    }
    try {
      String type = key instanceof ECPublicKey ? "EC" : "EdDSA";
      return KeyFactory.getInstance(type, BOUNCY_CASTLE)
          .generatePublic(new X509EncodedKeySpec(key.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("the key cannot be read: " + e.getMessage(), e);
    }
  }

  /** The provider for a key made by {@link #forVerification}, or null for the JDK's default. */
  static Provider providerFor(Key key) {
    return key.getClass().getName().startsWith("org.bouncycastle.") ? BOUNCY_CASTLE : null;
  }

  static boolean isEdDsa(Key key) {
    String alg = key.getAlgorithm();
    return key instanceof EdECPublicKey
        || "EdDSA".equals(alg)
        || "Ed25519".equals(alg)
        || "Ed448".equals(alg);
  }
}
