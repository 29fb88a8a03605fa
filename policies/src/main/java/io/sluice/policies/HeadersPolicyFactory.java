package io.sluice.policies;

import io.sluice.api.Exchange;
import io.sluice.api.Phase;
import io.sluice.api.Policy;
import io.sluice.api.PolicyContext;
import io.sluice.api.PolicyFactory;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * {@code headers}: sets, adds and removes request headers (before the backend) and response headers
 * (before the client).
 *
 * <pre>{@code
 * - headers:
 *     request: { set: { X-Env: prod }, remove: [ Cookie ] }
 *     response: { add: { Cache-Control: no-store }, remove: [ Server ] }
 * }</pre>
 */
public final class HeadersPolicyFactory implements PolicyFactory {

  @Override
  public String name() {
    return "headers";
  }

  @Override
  public Phase phase() {
    return Phase.TRANSFORM;
  }

  @Override
  public String configSchema() {
    return Schemas.load(HeadersPolicyFactory.class, "headers");
  }

  @Override
  public Policy create(JsonObject config, PolicyContext context) {
    return new HeadersPolicy(
        Edit.of(config.getJsonObject("request")), Edit.of(config.getJsonObject("response")));
  }

  /** What to do to one set of headers: remove, then set, then add. */
  record Edit(List<String> remove, Map<String, String> set, Map<String, String> add) {
    static Edit of(JsonObject o) {
      if (o == null) {
        return new Edit(List.of(), Map.of(), Map.of());
      }
      JsonArray rm = o.getJsonArray("remove", new JsonArray());
      return new Edit(strings(rm), map(o.getJsonObject("set")), map(o.getJsonObject("add")));
    }

    private static List<String> strings(JsonArray a) {
      return a.stream().map(String::valueOf).toList();
    }

    private static Map<String, String> map(JsonObject o) {
      if (o == null) {
        return Map.of();
      }
      java.util.LinkedHashMap<String, String> m = new java.util.LinkedHashMap<>();
      o.forEach(e -> m.put(e.getKey(), String.valueOf(e.getValue())));
      return java.util.Collections.unmodifiableMap(m);
    }

    boolean isEmpty() {
      return remove.isEmpty() && set.isEmpty() && add.isEmpty();
    }

    void apply(MultiMap headers) {
      remove.forEach(headers::remove);
      set.forEach(headers::set);
      add.forEach(headers::add);
    }
  }

  static final class HeadersPolicy implements Policy {
    private final Edit request;
    private final Edit response;

    HeadersPolicy(Edit request, Edit response) {
      this.request = request;
      this.response = response;
    }

    @Override
    public Future<Void> onRequest(Exchange exchange) {
      request.apply(exchange.requestHeaders());
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> onResponse(Exchange exchange) {
      response.apply(exchange.responseHeaders());
      return Future.succeededFuture();
    }

    @Override
    public String toString() {
      return "headers{request=" + request + ", response=" + response + "}";
    }
  }
}
