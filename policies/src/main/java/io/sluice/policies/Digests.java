package io.sluice.policies;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256, which every JDK has, without the checked exception at each use. */
public final class Digests {

  private Digests() {}

  public static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Of the UTF-8 bytes. */
  public static byte[] sha256(String s) {
    return sha256(s.getBytes(StandardCharsets.UTF_8));
  }
}
