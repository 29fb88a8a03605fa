package io.sluice.gateway.config;

import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The keys of {@code gateway.trust}, read from the route file's text: a shared secret (HS256) or
 * PEM EC P-256 keys (ES256). A key that is unusable is a config error at its place; no message
 * holds any of the key.
 */
final class TierKeys {

  /** HS256 needs a key as long as its hash (RFC 7518 3.2). */
  static final int MIN_SECRET_BYTES = 32;

  private TierKeys() {}

  static SecretKey secret(String value, SourceDocument doc, String at, List<ConfigError> errors) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    if (bytes.length < MIN_SECRET_BYTES) {
      errors.add(
          doc.error(
              at,
              "a shared secret of at least "
                  + MIN_SECRET_BYTES
                  + " bytes is needed for HS256, this one has "
                  + bytes.length
                  + " (value not shown); make one with: openssl rand -base64 48"));
      return null;
    }
    return new SecretKeySpec(bytes, "HmacSHA256");
  }

  static PrivateKey privateKey(
      String pem, SourceDocument doc, String at, List<ConfigError> errors) {
    return ecKey(
        pem,
        "PRIVATE KEY",
        der -> KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der)),
        doc,
        at,
        errors,
        "expected an EC P-256 private key in PEM (-----BEGIN PRIVATE KEY-----, PKCS#8); make"
            + " one with: openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256");
  }

  static PublicKey publicKey(String pem, SourceDocument doc, String at, List<ConfigError> errors) {
    return ecKey(
        pem,
        "PUBLIC KEY",
        der -> KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(der)),
        doc,
        at,
        errors,
        "expected an EC P-256 public key in PEM (-----BEGIN PUBLIC KEY-----); make it from"
            + " the private key with: openssl pkey -in tier.pem -pubout");
  }

  /** Turns DER into a key. */
  private interface Decoder<K> {
    K decode(byte[] der) throws java.security.GeneralSecurityException;
  }

  /** A P-256 key from the PEM block of {@code type}, or null with an error at {@code at}. */
  private static <K extends java.security.Key> K ecKey(
      String pem,
      String type,
      Decoder<K> decoder,
      SourceDocument doc,
      String at,
      List<ConfigError> errors,
      String expected) {
    try {
      K k = decoder.decode(der(pem, type));
      return p256(k) ? k : refuse(doc, at, errors, "not an EC P-256 key");
    } catch (IllegalArgumentException | java.security.GeneralSecurityException e) {
      return refuse(doc, at, errors, expected);
    }
  }

  private static <T> T refuse(
      SourceDocument doc, String at, List<ConfigError> errors, String message) {
    errors.add(doc.error(at, message));
    return null;
  }

  private static boolean p256(java.security.Key k) {
    return k instanceof ECKey ec && ec.getParams().getCurve().getField().getFieldSize() == 256;
  }

  /** The DER bytes between {@code -----BEGIN type-----} and {@code -----END type-----}. */
  private static byte[] der(String pem, String type) {
    String begin = "-----BEGIN " + type + "-----";
    String end = "-----END " + type + "-----";
    int b = pem.indexOf(begin);
    int e = pem.indexOf(end);
    if (b < 0 || e < b) {
      throw new IllegalArgumentException("no " + type);
    }
    return Base64.getMimeDecoder().decode(pem.substring(b + begin.length(), e));
  }
}
