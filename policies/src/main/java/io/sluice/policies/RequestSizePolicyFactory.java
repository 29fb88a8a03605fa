package io.sluice.policies;

import io.sluice.api.Exchange;
import io.sluice.api.Phase;
import io.sluice.api.Policy;
import io.sluice.api.PolicyContext;
import io.sluice.api.PolicyFactory;
import io.sluice.api.Problem;
import io.sluice.api.Units;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * {@code request-size}: a smaller body limit for one route than the gateway's {@code
 * limits.maxBodySize}. An announced Content-Length over it is a 413 before anything is read; a
 * chunked body is counted while it streams (or while it is read for a later policy).
 *
 * <pre>{@code
 * - request-size: { max: 64KiB }
 * }</pre>
 */
public final class RequestSizePolicyFactory implements PolicyFactory {

  static final Problem TOO_LARGE =
      Problem.of(413, "body-too-large", "Content Too Large", "The request body is too large.");

  @Override
  public String name() {
    return "request-size";
  }

  @Override
  public Phase phase() {
    return Phase.PRE;
  }

  @Override
  public String configSchema() {
    return Schemas.load(RequestSizePolicyFactory.class, "request-size");
  }

  @Override
  public Policy create(JsonObject config, PolicyContext context) {
    Object max = config.getValue("max");
    long bytes = max instanceof Number n ? n.longValue() : Units.size(String.valueOf(max));
    return new RequestSize(bytes);
  }

  static final class RequestSize implements Policy {
    private final long max;

    RequestSize(long max) {
      this.max = max;
    }

    @Override
    public Future<Void> onRequest(Exchange exchange) {
      String cl = exchange.requestHeaders().get("content-length");
      if (cl != null) {
        try {
          if (Long.parseLong(cl.trim()) > max) {
            exchange.respond(TOO_LARGE);
            return Future.succeededFuture();
          }
        } catch (NumberFormatException e) {
          // the gateway refuses malformed lengths before policies run
        }
      }
      exchange.limitBodySize(max);
      return Future.succeededFuture();
    }

    @Override
    public String toString() {
      return "request-size{max=" + max + "}";
    }
  }
}
