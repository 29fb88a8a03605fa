package io.sluice.gateway.resilience;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * At most {@code max} calls in flight to one backend, across every event loop of the gateway, and
 * at most {@code queue} more waiting for a slot, each for at most {@code queueTimeout}. Lock-free:
 * a slot is a compare-and-set on a counter; a waiter is woken on its own event loop.
 */
final class Bulkhead {

  /** A request waiting for a slot. */
  static final class Waiter {
    private static final int WAITING = 0;
    private static final int CLAIMED = 1;
    private static final int CANCELLED = 2;

    final Context context;
    final Runnable go;
    private final AtomicInteger state = new AtomicInteger(WAITING);
    long timer = -1;

    Waiter(Context context, Runnable go) {
      this.context = context;
      this.go = go;
    }

    boolean claim() {
      return state.compareAndSet(WAITING, CLAIMED);
    }

    boolean cancel() {
      return state.compareAndSet(WAITING, CANCELLED);
    }
  }

  private final Vertx vertx;
  private final int max;
  private final int queueMax;
  private final long queueTimeoutMs;
  private final AtomicInteger active = new AtomicInteger();
  private final AtomicInteger queued = new AtomicInteger();
  private final ConcurrentLinkedQueue<Waiter> waiters = new ConcurrentLinkedQueue<>();

  Bulkhead(Vertx vertx, int max, int queueMax, long queueTimeoutMs) {
    this.vertx = vertx;
    this.max = max;
    this.queueMax = queueMax;
    this.queueTimeoutMs = queueTimeoutMs;
  }

  /** Takes a slot if one is free. */
  boolean tryAcquire() {
    for (; ; ) {
      int a = active.get();
      if (a >= max) {
        return false;
      }
      if (active.compareAndSet(a, a + 1)) {
        return true;
      }
    }
  }

  /**
   * Queues a request that found no slot: {@code go} runs on its event loop when a slot is handed to
   * it, {@code timedOut} when it waited {@code queueTimeout} in vain. Null when the queue is full.
   */
  Waiter enqueue(Runnable go, Runnable timedOut) {
    if (queued.incrementAndGet() > queueMax) {
      queued.decrementAndGet();
      return null;
    }
    Waiter w = new Waiter(Vertx.currentContext(), go);
    waiters.add(w);
    w.timer =
        vertx.setTimer(
            queueTimeoutMs,
            id -> {
              if (cancel(w)) {
                timedOut.run();
              }
            });
    drain(); // a slot may have been freed since tryAcquire
    return w;
  }

  /**
   * Takes a waiter out of the queue (its request ended, or it timed out); false if it was woken.
   */
  boolean cancel(Waiter w) {
    if (!w.cancel()) {
      return false;
    }
    queued.decrementAndGet();
    waiters.remove(w);
    vertx.cancelTimer(w.timer);
    return true;
  }

  /** Gives a slot back: to the next waiter, if there is one. */
  void release() {
    active.decrementAndGet();
    drain();
  }

  private void drain() {
    while (!waiters.isEmpty() && tryAcquire()) {
      Waiter w = waiters.poll();
      if (w == null || !w.claim()) {
        active.decrementAndGet(); // nobody (left) to hand it to
        continue;
      }
      queued.decrementAndGet();
      vertx.cancelTimer(w.timer);
      w.context.runOnContext(v -> w.go.run());
    }
  }

  int active() {
    return active.get();
  }

  int queued() {
    return queued.get();
  }
}
