package io.sluice.gateway.server;

import java.util.concurrent.ThreadLocalRandom;

/** The request id: the client's {@code X-Request-Id} when it is sane, otherwise a new one. */
public final class RequestIds {

  public static final String HEADER = "X-Request-Id";
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private RequestIds() {}

  /** Takes a client's id if it is 1 to 128 characters of {@code [A-Za-z0-9._:-]}. */
  public static String accept(String fromClient) {
    if (fromClient == null || fromClient.isEmpty() || fromClient.length() > 128) {
      return generate();
    }
    for (int i = 0; i < fromClient.length(); i++) {
      char c = fromClient.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '-'
              || c == '_'
              || c == '.'
              || c == ':';
      if (!ok) {
        return generate();
      }
    }
    return fromClient;
  }

  /** 128 random bits as 32 hex characters (the size of a W3C trace id). */
  public static String generate() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    char[] out = new char[32];
    long a = r.nextLong();
    long b = r.nextLong();
    for (int i = 0; i < 16; i++) {
      out[i] = HEX[(int) (a >>> (60 - 4 * i)) & 0xf];
      out[16 + i] = HEX[(int) (b >>> (60 - 4 * i)) & 0xf];
    }
    return new String(out);
  }
}
