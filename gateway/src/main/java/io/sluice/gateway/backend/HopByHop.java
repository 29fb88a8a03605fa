package io.sluice.gateway.backend;

import io.vertx.core.MultiMap;
import java.util.Map;

/**
 * Copies headers from one message to the next hop, leaving out the hop-by-hop ones (RFC 9110
 * 7.6.1): Connection, Keep-Alive, Proxy-Connection, Proxy-Authenticate, Proxy-Authorization, TE,
 * Trailer, Transfer-Encoding, Upgrade, and every header the Connection header names.
 */
public final class HopByHop {

  /**
   * Marks a copy the gateway sends itself ({@code Exchange.sendCopyInBackground}); never sent on.
   */
  public static final String COPY_HEADER = "sluice-background-copy";

  private HopByHop() {}

  public static boolean isHopByHop(String name) {
    switch (name.length()) {
      case 2:
        return name.equalsIgnoreCase("te");
      case 7:
        return name.equalsIgnoreCase("trailer") || name.equalsIgnoreCase("upgrade");
      case 10:
        return name.equalsIgnoreCase("connection") || name.equalsIgnoreCase("keep-alive");
      case 16:
        return name.equalsIgnoreCase("proxy-connection");
      case 17:
        return name.equalsIgnoreCase("transfer-encoding");
      case 18:
        return name.equalsIgnoreCase("proxy-authenticate");
      case 19:
        return name.equalsIgnoreCase("proxy-authorization");
      default:
        return false;
    }
  }

  /**
   * Copies end-to-end headers from {@code from} into {@code to}, skipping hop-by-hop ones and, when
   * {@code skipForwarded}, the client's X-Forwarded-*, Forwarded and X-Request-Id.
   */
  static void copy(MultiMap from, MultiMap to, boolean skipForwarded) {
    String connection = from.get("connection");
    String[] named = connection == null ? null : connection.split(",");
    for (Map.Entry<String, String> e : from) {
      String name = e.getKey();
      if (isHopByHop(name) || (named != null && isNamed(name, named))) {
        continue;
      }
      if (skipForwarded && isForwarding(name)) {
        continue;
      }
      to.add(name, e.getValue());
    }
  }

  private static boolean isNamed(String name, String[] named) {
    for (String n : named) {
      if (n.trim().equalsIgnoreCase(name)) {
        return true;
      }
    }
    return false;
  }

  static boolean isForwarding(String name) {
    if (name.length() > 12 && name.regionMatches(true, 0, "x-forwarded-", 0, 12)) {
      return true;
    }
    return name.equalsIgnoreCase("forwarded")
        || name.equalsIgnoreCase("x-request-id")
        || name.equalsIgnoreCase(COPY_HEADER);
  }
}
