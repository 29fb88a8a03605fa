package io.sluice.api;

/**
 * When a policy runs. Request hooks run phase by phase in this order; within a phase, global
 * policies before the route's own, then in file order. Response hooks run in exactly the reverse
 * order.
 */
public enum Phase {
  /** Before anything else: CORS preflights, IP filters, size limits. */
  PRE,
  /** Who is calling: JWT, API keys, signatures. Sets the principal. */
  AUTHENTICATE,
  /** May they: scopes, roles. */
  AUTHORIZE,
  /** Rate limits, by client, key or principal. */
  RATE_LIMIT,
  /** Request validation. */
  VALIDATE,
  /** Response caching: may answer before the backend is called. */
  CACHE,
  /** Changes to what the backend receives and the client gets back: headers, bodies. */
  TRANSFORM
}
