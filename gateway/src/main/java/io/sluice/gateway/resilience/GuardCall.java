package io.sluice.gateway.resilience;

import io.sluice.gateway.backend.BackendHandler;
import io.sluice.gateway.server.RequestContext;
import io.vertx.core.Promise;

/**
 * One request under a backend's guard: its place in the queue or its slot, and the outcome the
 * breaker waits for. Touched on the request's event loop only.
 */
public final class GuardCall {

  final BackendGuard guard;
  final RequestContext ctx;
  final BackendHandler backend;
  Bulkhead.Waiter waiter;
  boolean holdsSlot;
  boolean ended;
  Promise<Integer> outcome;

  GuardCall(BackendGuard guard, RequestContext ctx, BackendHandler backend) {
    this.guard = guard;
    this.ctx = ctx;
    this.backend = backend;
  }

  /** The backend answered with this status (the breaker counts 5xx as failures). */
  public void answered(int status) {
    if (outcome != null) {
      outcome.tryComplete(status);
      outcome = null;
    }
  }

  /** The call failed: no connection, a timeout, a broken response. */
  public void failed(Throwable cause) {
    if (outcome != null) {
      outcome.tryFail(cause);
      outcome = null;
    }
  }

  /**
   * The request is over (answered, or the client left): the slot goes back, a place in the queue is
   * given up, and an outcome never reported (the client left first) counts as a success: a client
   * leaving says nothing against the backend, and a half-open breaker must not wait forever.
   */
  public void ended() {
    ended = true;
    answered(0);
    guard.released(this);
  }
}
