package io.sluice.gateway.server;

import io.sluice.api.StandardAttributes;
import io.sluice.gateway.backend.BackendHandler;
import io.sluice.gateway.backend.HttpBackendHandler;
import io.sluice.gateway.tier.TierAssertions;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An edge's last step: drops whatever the client sent that looks like the tiers' own headers, signs
 * the assertion of what the edge's policies established (the caller, its scopes and claims, the
 * route, the client's address), and hands the request to the core regions' handler.
 */
final class EdgeForwarder implements BackendHandler {

  private static final Logger LOG = LoggerFactory.getLogger(EdgeForwarder.class);

  private final TierAssertions.Signer signer;
  private final BackendHandler core;

  EdgeForwarder(TierAssertions.Signer signer, BackendHandler core) {
    this.signer = signer;
    this.core = core;
  }

  @Override
  public void handle(RequestContext ctx) {
    MultiMap headers = ctx.request.headers();
    CoreGate.strip(headers);
    TierAssertions.Asserted asserted =
        new TierAssertions.Asserted(
            ctx.principal,
            ctx.attribute(StandardAttributes.SCOPES),
            ctx.attribute(StandardAttributes.CLAIMS),
            ctx.routeId(),
            ctx.request.method().name(),
            ctx.path,
            ctx.requestId,
            null,
            ctx.clientAddress);
    if (!signer.slow()) {
      headers.set(TierAssertions.HEADER, signer.sign(asserted, System.currentTimeMillis()));
      core.handle(ctx);
      return;
    }
    // ES256 takes about half a millisecond: signed on a worker thread, the body kept meanwhile.
    if (HttpBackendHandler.hasBody(ctx.request)) {
      ctx.request.pause();
    }
    Vertx.currentContext()
        .executeBlocking(() -> signer.sign(asserted, System.currentTimeMillis()), false)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                LOG.error("signing the assertion failed [{}]", ctx.requestId, ar.cause());
                ctx.fail(Problems.INTERNAL);
                return;
              }
              headers.set(TierAssertions.HEADER, ar.result());
              core.handle(ctx);
            });
  }

  /** Nothing of its own: the core handler is closed with the generation that made it. */
  @Override
  public Future<Void> close() {
    return Future.succeededFuture();
  }
}
