package io.sluice.policies;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.sluice.api.PolicyContext;
import java.util.function.Function;

/**
 * A counter of one route's requests by a label from a fixed set (the constants of an enum): the
 * attribute sets are made once, with the policy, and every series starts at 0 so that {@code
 * rate()} sees the first event.
 */
public final class RouteCounter<E extends Enum<E>> {

  private static final AttributeKey<String> ROUTE = AttributeKey.stringKey("route");

  private final LongCounter counter;
  private final Attributes[] byLabel;

  /**
   * {@code name} and {@code description} of the counter; each constant of {@code labels} becomes
   * the value {@code label} gives it, under the attribute {@code labelKey}.
   */
  public RouteCounter(
      PolicyContext context,
      String name,
      String description,
      String labelKey,
      Class<E> labels,
      Function<E, String> label) {
    this.counter = context.meter().counterBuilder(name).setDescription(description).build();
    AttributeKey<String> key = AttributeKey.stringKey(labelKey);
    E[] all = labels.getEnumConstants();
    this.byLabel = new Attributes[all.length];
    for (E e : all) {
      byLabel[e.ordinal()] = Attributes.of(ROUTE, context.routeId(), key, label.apply(e));
      counter.add(0, byLabel[e.ordinal()]);
    }
  }

  /** One more request with this label. */
  public void add(E e) {
    counter.add(1, byLabel[e.ordinal()]);
  }
}
