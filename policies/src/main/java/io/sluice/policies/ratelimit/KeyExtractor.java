package io.sluice.policies.ratelimit;

import io.sluice.api.Exchange;
import java.util.List;

/**
 * What a bucket is per. {@code ip} is the client address Sluice trusts (the peer, or the client
 * behind a trusted proxy: a rotating X-Forwarded-For from anyone else changes nothing). A missing
 * principal or header counts as the client address, so that leaving it out gives no fresh bucket.
 */
final class KeyExtractor {

  private final String[] kinds;
  private final String[] headers;

  private KeyExtractor(String[] kinds, String[] headers) {
    this.kinds = kinds;
    this.headers = headers;
  }

  static KeyExtractor of(List<String> parts) {
    String[] kinds = new String[parts.size()];
    String[] headers = new String[parts.size()];
    for (int i = 0; i < kinds.length; i++) {
      String p = parts.get(i);
      if (p.startsWith("header:")) {
        kinds[i] = "header";
        headers[i] = p.substring("header:".length());
      } else {
        kinds[i] = p;
      }
    }
    return new KeyExtractor(kinds, headers);
  }

  String key(Exchange ex) {
    if (kinds.length == 1) {
      return part(ex, 0);
    }
    StringBuilder b = new StringBuilder(64);
    for (int i = 0; i < kinds.length; i++) {
      if (i > 0) {
        b.append('\n'); // cannot occur in any part
      }
      b.append(part(ex, i));
    }
    return b.toString();
  }

  private String part(Exchange ex, int i) {
    switch (kinds[i]) {
      case "ip":
        return "ip:" + ex.clientAddress();
      case "route":
        return "route:" + ex.routeId();
      case "principal":
        String p = ex.principal();
        return p == null ? "ip:" + ex.clientAddress() : "p:" + p;
      default:
        String h = ex.requestHeaders().get(headers[i]);
        return h == null ? "ip:" + ex.clientAddress() : "h:" + h;
    }
  }
}
