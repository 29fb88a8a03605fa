package io.sluice.gateway.config;

import java.util.List;
import java.util.stream.Collectors;

/** A route file that cannot be used, with every error found in it. */
public final class ConfigException extends Exception {

  private final transient List<ConfigError> errors;

  public ConfigException(List<ConfigError> errors) {
    super(errors.size() + (errors.size() == 1 ? " error" : " errors") + " in route file");
    this.errors = List.copyOf(errors);
  }

  public List<ConfigError> errors() {
    return errors;
  }

  /** Every error, one per line. */
  public String describe() {
    return errors.stream().map(ConfigError::toString).collect(Collectors.joining("\n"));
  }

  @Override
  public String toString() {
    return getMessage() + ":\n" + describe();
  }
}
