package io.sluice.gateway.telemetry;

import java.util.List;

/** Closing the asynchronous instruments (gauges) of something a reload replaced. */
public final class Observers {

  private Observers() {}

  /** Closes each: their callbacks are no longer called, their series end. */
  public static void close(List<AutoCloseable> observers) {
    for (AutoCloseable o : observers) {
      try {
        o.close();
      } catch (Exception e) {
        // An SDK instrument's close does not throw; nothing to do if one did.
      }
    }
    observers.clear();
  }
}
