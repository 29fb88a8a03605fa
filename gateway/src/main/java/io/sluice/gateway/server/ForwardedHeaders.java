package io.sluice.gateway.server;

import io.sluice.policies.net.Cidr;
import java.util.List;

/**
 * Who the client is, and the {@code X-Forwarded-*} headers for the backend. A client's copies of
 * these headers are believed only when the peer is in {@code gateway.trustedProxies}; then the
 * client is the right-most address in {@code X-Forwarded-For} that is not itself a trusted proxy.
 */
public final class ForwardedHeaders {

  private final List<Cidr> trusted;

  public ForwardedHeaders(List<Cidr> trusted) {
    this.trusted = List.copyOf(trusted);
  }

  public boolean isTrusted(String address) {
    if (trusted.isEmpty() || address == null) {
      return false;
    }
    for (Cidr c : trusted) {
      if (c.contains(address)) {
        return true;
      }
    }
    return false;
  }

  /** The client's address given the peer and the X-Forwarded-For it sent (may be null). */
  public String clientAddress(String peer, boolean peerTrusted, String xff) {
    if (!peerTrusted || xff == null || xff.isBlank()) {
      return peer;
    }
    String[] hops = xff.split(",");
    for (int i = hops.length - 1; i >= 0; i--) {
      String hop = hops[i].trim();
      if (!hop.isEmpty() && !isTrusted(hop)) {
        return hop;
      }
    }
    String first = hops[0].trim();
    return first.isEmpty() ? peer : first;
  }
}
