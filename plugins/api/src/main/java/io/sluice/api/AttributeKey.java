package io.sluice.api;

import java.util.Objects;

/**
 * A typed key for values policies share on an {@link Exchange}. Compare by identity: keep the key
 * in a constant.
 *
 * <pre>{@code
 * public static final AttributeKey<Set<String>> SCOPES = AttributeKey.of("jwt.scopes");
 * }</pre>
 */
public final class AttributeKey<T> {

  private final String name;

  private AttributeKey(String name) {
    this.name = Objects.requireNonNull(name, "name");
  }

  public static <T> AttributeKey<T> of(String name) {
    return new AttributeKey<>(name);
  }

  public String name() {
    return name;
  }

  @Override
  public String toString() {
    return name;
  }
}
