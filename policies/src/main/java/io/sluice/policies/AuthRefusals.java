package io.sluice.policies;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.sluice.api.PolicyContext;

/**
 * {@code sluice.auth.refusals} ({@code sluice_auth_refusals_total} in Prometheus): requests an
 * authentication policy refused, by {@code route}, {@code policy} and {@code reason}. The attribute
 * sets are made with the policy, once per reason.
 */
public final class AuthRefusals {

  /** Why a request was refused. */
  public enum Reason {
    /** No credential (401). */
    MISSING("missing"),
    /** A credential that does not verify, or is unknown (401). */
    INVALID("invalid"),
    /** A good credential without the rights the route needs (403). */
    INSUFFICIENT_SCOPE("insufficient_scope"),
    /** Credentials cannot be checked at the moment (503). */
    UNAVAILABLE("unavailable");

    private final String label;

    Reason(String label) {
      this.label = label;
    }
  }

  private static final AttributeKey<String> ROUTE = AttributeKey.stringKey("route");
  private static final AttributeKey<String> POLICY = AttributeKey.stringKey("policy");
  private static final AttributeKey<String> REASON = AttributeKey.stringKey("reason");

  private final LongCounter counter;
  private final Attributes[] attributes = new Attributes[Reason.values().length];

  public AuthRefusals(PolicyContext context, String policy) {
    this.counter =
        context
            .meter()
            .counterBuilder("sluice.auth.refusals")
            .setDescription("Requests refused by an authentication policy.")
            .build();
    for (Reason r : Reason.values()) {
      attributes[r.ordinal()] =
          Attributes.of(ROUTE, context.routeId(), POLICY, policy, REASON, r.label);
    }
  }

  public void count(Reason reason) {
    counter.add(1, attributes[reason.ordinal()]);
  }
}
