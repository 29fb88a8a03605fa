package io.sluice.gateway.server;

import io.sluice.gateway.backend.BackendHandler;
import io.sluice.gateway.policy.PolicyChain;
import io.sluice.gateway.resilience.BackendGuard;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Walks a route's policy chain for one request: request hooks in order (the body is read just
 * before the first policy that needs it, so that earlier ones can still refuse or limit it), then
 * the backend or a policy's own answer, and response hooks in reverse. A policy that throws or
 * fails ends the request with a 500 problem and one log line.
 */
final class PolicyRunner {

  private static final Logger LOG = LoggerFactory.getLogger(PolicyRunner.class);

  private PolicyRunner() {}

  static void run(RequestContext ctx, BackendHandler backend, BackendGuard guard) {
    if (ctx.exchange == null) {
      ctx.exchange = new GatewayExchange(ctx); // a core has made it already, with the edge's caller
    }
    next(ctx, backend, guard, 0);
  }

  private static void next(RequestContext ctx, BackendHandler backend, BackendGuard guard, int i) {
    PolicyChain chain = ctx.match.route().chain();
    List<PolicyChain.Link> links = chain.links();
    while (i < links.size()) {
      PolicyChain.Link link = links.get(i);
      if (link.policy().needsRequestBody() && ctx.bufferedBody == null) {
        int at = i;
        // Any failure, the limit or a broken request: 413 and the connection goes.
        io.sluice.gateway.backend.WholeBody.upTo(ctx.request, ctx.maxBodySize)
            .onComplete(
                ar -> {
                  if (ar.failed()) {
                    ctx.request.response().putHeader(HttpHeaders.CONNECTION, "close");
                    ctx.fail(Problems.BODY_TOO_LARGE);
                  } else {
                    ctx.bufferedBody = ar.result();
                    next(ctx, backend, guard, at);
                  }
                });
        return;
      }
      Future<Void> f;
      ctx.policiesRun = i + 1;
      try {
        f = link.policy().onRequest(ctx.exchange);
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      if (f.succeeded() && !ctx.exchange.responded()) {
        i++; // completed at once: stay in the loop, no callback
        continue;
      }
      int at = i;
      resume(
          f,
          ar -> {
            if (ar.failed()) {
              policyFailed(ctx, link, ar.cause());
            } else if (ctx.exchange.responded()) {
              answerLocally(ctx);
            } else {
              next(ctx, backend, guard, at + 1);
            }
          });
      return;
    }
    if (ctx.preflight) {
      // A CORS preflight for a method the route does not allow, and no policy answered it.
      ctx.request.response().putHeader(HttpHeaders.ALLOW, String.join(", ", ctx.preflightAllowed));
      ctx.fail(Problems.methodNotAllowed(ctx.request.method().name()));
      return;
    }
    BackendGuard.call(guard, ctx, backend);
  }

  /**
   * Calls the handler on the request's event loop, whichever thread completes the future: a policy
   * may return a future that another thread completes (a client library's callback, a cache
   * loader), and the request must only ever be touched from its own loop.
   */
  private static <T> void resume(Future<T> f, Handler<AsyncResult<T>> handler) {
    Thread loop = Thread.currentThread();
    Context context = Vertx.currentContext();
    f.onComplete(
        ar -> {
          if (Thread.currentThread() == loop || context == null) {
            handler.handle(ar);
          } else {
            context.runOnContext(v -> handler.handle(ar));
          }
        });
  }

  private static void policyFailed(RequestContext ctx, PolicyChain.Link link, Throwable cause) {
    LOG.error(
        "policy {} on route {} failed [{}]", link.name(), ctx.routeId(), ctx.requestId, cause);
    ctx.fail(Problems.INTERNAL);
  }

  /** Sends what a policy answered, after the response hooks of the policies that ran. */
  private static void answerLocally(RequestContext ctx) {
    GatewayExchange ex = ctx.exchange;
    HttpServerResponse res = ctx.request.response();
    res.setStatusCode(ex.localStatus);
    io.sluice.gateway.telemetry.HttpTracing.policyAnswered(
        ctx.span,
        ctx.match.route().chain().links().get(ctx.policiesRun - 1).name(),
        ex.localStatus,
        ex.problemType);
    res.headers().addAll(ex.localHeaders);
    res.headers().set(RequestIds.HEADER, ctx.requestId);
    if (ctx.bufferedBody == null
        && io.sluice.gateway.backend.HttpBackendHandler.hasBody(ctx.request)
        && !ctx.request.isEnded()) {
      // The body was not read: the connection cannot carry another request.
      res.headers().set(HttpHeaders.CONNECTION, "close");
    }
    ctx.beforeResponse()
        .onComplete(
            ar -> {
              if (ar.failed()) {
                res.headers().clear();
                ctx.fail(Problems.INTERNAL);
                return;
              }
              ctx.endResponse(ex.localBody);
            });
  }

  /** Response hooks of the policies whose request hook ran, last first. */
  static Future<Void> responseHooks(RequestContext ctx) {
    List<PolicyChain.Link> links = ctx.match.route().chain().links();
    return responseHook(ctx, links, ctx.policiesRun - 1);
  }

  private static Future<Void> responseHook(
      RequestContext ctx, List<PolicyChain.Link> links, int i) {
    for (; i >= 0; i--) {
      PolicyChain.Link link = links.get(i);
      if (!link.hasResponseHook()) {
        continue;
      }
      Future<Void> f;
      try {
        f = link.policy().onResponse(ctx.exchange);
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      if (f.succeeded()) {
        continue;
      }
      int at = i;
      Promise<Void> done = Promise.promise();
      resume(
          f,
          ar -> {
            if (ar.failed()) {
              LOG.error(
                  "policy {} on route {} failed on the response [{}]",
                  link.name(),
                  ctx.routeId(),
                  ctx.requestId,
                  ar.cause());
              done.fail(ar.cause());
            } else {
              responseHook(ctx, links, at - 1).onComplete(done);
            }
          });
      return done.future();
    }
    return Future.succeededFuture();
  }
}
