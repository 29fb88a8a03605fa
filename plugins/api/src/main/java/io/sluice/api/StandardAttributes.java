package io.sluice.api;

import java.util.List;
import java.util.Map;

/**
 * Attributes the built-in policies put on an {@link Exchange} for later policies and backends. A
 * plugin that authenticates callers may set them too, so that everything downstream (the Lambda
 * event's authorizer context, rate limiting by principal) works the same.
 */
public final class StandardAttributes {

  /** The verified claims of the caller's token (unmodifiable; values as parsed from JSON). */
  public static final AttributeKey<Map<String, Object>> CLAIMS = AttributeKey.of("auth.claims");

  /** The caller's scopes, from the token's {@code scope} or {@code scp} claim. */
  public static final AttributeKey<List<String>> SCOPES = AttributeKey.of("auth.scopes");

  private StandardAttributes() {}
}
