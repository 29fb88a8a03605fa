package io.sluice.policies;

import io.sluice.api.Exchange;
import io.sluice.api.Phase;
import io.sluice.api.Policy;
import io.sluice.api.PolicyContext;
import io.sluice.api.PolicyFactory;
import io.sluice.api.Problem;
import io.sluice.policies.net.Cidr;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ip-filter}: refuses clients by address (IPv4 and IPv6 CIDR blocks) with a 403. Deny wins;
 * with an allow list, only addresses on it pass. The address is the one Sluice trusts: the peer, or
 * the client behind a trusted proxy.
 *
 * <pre>{@code
 * - ip-filter: { allow: [ 10.0.0.0/8, "2001:db8::/32" ], deny: [ 10.6.6.0/24 ] }
 * }</pre>
 */
public final class IpFilterPolicyFactory implements PolicyFactory {

  static final Problem FORBIDDEN =
      Problem.of(403, "forbidden", "Forbidden", "Requests from this address are not allowed.");

  @Override
  public String name() {
    return "ip-filter";
  }

  @Override
  public Phase phase() {
    return Phase.PRE;
  }

  @Override
  public String configSchema() {
    return Schemas.load(IpFilterPolicyFactory.class, "ip-filter");
  }

  @Override
  public Policy create(JsonObject config, PolicyContext context) {
    return new IpFilter(
        blocks(config.getJsonArray("allow", new JsonArray()), "allow"),
        blocks(config.getJsonArray("deny", new JsonArray()), "deny"));
  }

  private static List<Cidr> blocks(JsonArray a, String key) {
    List<Cidr> out = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      try {
        out.add(Cidr.parse(a.getString(i)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(key + "[" + i + "]: " + e.getMessage());
      }
    }
    return List.copyOf(out);
  }

  static final class IpFilter implements Policy {
    private final List<Cidr> allow;
    private final List<Cidr> deny;

    IpFilter(List<Cidr> allow, List<Cidr> deny) {
      this.allow = allow;
      this.deny = deny;
    }

    @Override
    public Future<Void> onRequest(Exchange exchange) {
      String address = exchange.clientAddress();
      if (!allowed(address)) {
        exchange.respond(FORBIDDEN);
      }
      return Future.succeededFuture();
    }

    boolean allowed(String address) {
      if (address == null) {
        return false;
      }
      for (Cidr c : deny) {
        if (c.contains(address)) {
          return false;
        }
      }
      if (allow.isEmpty()) {
        return true;
      }
      for (Cidr c : allow) {
        if (c.contains(address)) {
          return true;
        }
      }
      return false;
    }

    @Override
    public String toString() {
      return "ip-filter{allow=" + allow + ", deny=" + deny + "}";
    }
  }
}
