package io.sluice.policies.cache;

import java.util.Locale;

/**
 * The directives of a Cache-Control header that a shared cache acts on (RFC 9111). Seconds are -1
 * when absent; an unreadable value counts as absent.
 */
record CacheControl(
    boolean noStore,
    boolean noCache,
    boolean isPrivate,
    boolean isPublic,
    long maxAge,
    long sMaxAge) {

  static final CacheControl NONE = new CacheControl(false, false, false, false, -1, -1);

  /** Parses every Cache-Control value of a message (they are one comma-separated list). */
  static CacheControl parse(Iterable<String> values) {
    boolean noStore = false;
    boolean noCache = false;
    boolean priv = false;
    boolean pub = false;
    long maxAge = -1;
    long sMaxAge = -1;
    for (String value : values) {
      for (String d : value.split(",")) {
        String t = d.trim().toLowerCase(Locale.ROOT);
        int eq = t.indexOf('=');
        String name = eq < 0 ? t : t.substring(0, eq).trim();
        String arg = eq < 0 ? null : unquote(t.substring(eq + 1).trim());
        switch (name) {
          case "no-store" -> noStore = true;
            // no-cache with field names only limits those fields; treated as the whole response
          case "no-cache" -> noCache = true;
          case "private" -> priv = true;
          case "public" -> pub = true;
          case "max-age" -> maxAge = seconds(arg);
          case "s-maxage" -> sMaxAge = seconds(arg);
          default -> {}
        }
      }
    }
    return new CacheControl(noStore, noCache, priv, pub, maxAge, sMaxAge);
  }

  private static String unquote(String s) {
    return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")
        ? s.substring(1, s.length() - 1)
        : s;
  }

  /** Delta-seconds: digits only, capped at 2^31 (RFC 9111 1.2.2); -1 when not one. */
  private static long seconds(String arg) {
    if (arg == null || arg.isEmpty() || arg.length() > 12) {
      return -1;
    }
    for (int i = 0; i < arg.length(); i++) {
      if (arg.charAt(i) < '0' || arg.charAt(i) > '9') {
        return -1;
      }
    }
    return Math.min(Long.parseLong(arg), 2147483648L);
  }
}
