package io.sluice.api;

import io.vertx.core.json.JsonObject;

/**
 * Makes a policy from its config. Found with {@link java.util.ServiceLoader}: list the class in
 * {@code META-INF/services/io.sluice.api.PolicyFactory}. One factory per policy name; two with the
 * same name stop the gateway from starting.
 *
 * <pre>{@code
 * public final class DenyTuesdaysFactory implements PolicyFactory {
 *   public String name() { return "deny-tuesdays"; }
 *   public Phase phase() { return Phase.PRE; }
 *   public String configSchema() { return "{\"type\":\"object\",\"additionalProperties\":false}"; }
 *   public Policy create(JsonObject config, PolicyContext context) {
 *     return new DenyTuesdays(context.clock());
 *   }
 * }
 * }</pre>
 */
public interface PolicyFactory {

  /** The key in the route file: {@code - deny-tuesdays: {...}}. Lower case, digits, '-'. */
  String name();

  /** When the policy runs. */
  Phase phase();

  /**
   * The JSON Schema (draft 2020-12) of the config. The route file is checked against it when it is
   * loaded, errors reported with file, line and column like every other config error; {@link
   * #create} only ever sees a valid config. Say {@code "additionalProperties": false} so that typos
   * are errors. Mark settings that hold secrets {@code "writeOnly": true}: the admin API shows them
   * as {@code ***}.
   */
  String configSchema();

  /**
   * Creates the policy for one route, once per config load (not per request). Throw {@link
   * IllegalArgumentException} for a problem the schema cannot express; its message is reported with
   * the config's location.
   */
  Policy create(JsonObject config, PolicyContext context);

  /**
   * Whether a reload may keep this factory's policy where its route, place and config (and the
   * gateway settings it sees) are unchanged, with its state, instead of making it again. True by
   * default: state such as rate-limit buckets survives reloads. Say false when {@link #create}
   * reads something besides its config that may have changed (a file): it then runs on every
   * reload.
   */
  default boolean keptAcrossReloads() {
    return true;
  }
}
