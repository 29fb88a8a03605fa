package io.sluice.gateway.backend;

import io.vertx.core.Vertx;

/**
 * Timeouts for requests that all share one duration, on one event loop: a FIFO is then ordered by
 * deadline, so one timer armed for the oldest entry serves all of them. Adding and removing is O(1)
 * with no timer per request (a Vert.x timer per request costs a concurrent-map insert and removal).
 * Not thread-safe: use from the owning event loop only.
 */
final class DeadlineQueue {

  /** A pending deadline; subclass it to carry what expiry needs. */
  abstract static class Entry {
    private long deadline;
    private Entry prev;
    private Entry next;
    private boolean queued;

    /** Called on the event loop when the deadline passes first. */
    abstract void expired();

    /** Whether the deadline has passed (however the caller learned of a failure). */
    boolean pastDeadline() {
      return deadline != 0 && System.nanoTime() - deadline >= 0;
    }
  }

  private final Vertx vertx;
  private final long timeoutNanos;
  private Entry head;
  private Entry tail;
  private long timerId = -1;
  private long armedFor;

  DeadlineQueue(Vertx vertx, long timeoutNanos) {
    this.vertx = vertx;
    this.timeoutNanos = timeoutNanos;
  }

  /** Starts the clock for {@code e}. */
  void add(Entry e) {
    e.deadline = System.nanoTime() + timeoutNanos;
    e.queued = true;
    e.prev = tail;
    e.next = null;
    if (tail == null) {
      head = e;
    } else {
      tail.next = e;
    }
    tail = e;
    if (timerId < 0) {
      arm();
    }
  }

  /** Stops the clock for {@code e} (it finished in time); harmless if already removed. */
  void remove(Entry e) {
    if (!e.queued) {
      return;
    }
    e.queued = false;
    if (e.prev == null) {
      head = e.next;
    } else {
      e.prev.next = e.next;
    }
    if (e.next == null) {
      tail = e.prev;
    } else {
      e.next.prev = e.prev;
    }
    e.prev = null;
    e.next = null;
  }

  private void arm() {
    if (head == null) {
      timerId = -1;
      return;
    }
    armedFor = head.deadline;
    long delayMs = Math.max(1, (armedFor - System.nanoTime() + 999_999) / 1_000_000);
    timerId = vertx.setTimer(delayMs, id -> fire());
  }

  private void fire() {
    timerId = -1;
    long now = System.nanoTime();
    while (head != null && head.deadline - now <= 0) {
      Entry e = head;
      remove(e);
      e.expired();
    }
    arm();
  }

  /** Whether nothing is waiting (for tests). */
  boolean isEmpty() {
    return head == null;
  }
}
