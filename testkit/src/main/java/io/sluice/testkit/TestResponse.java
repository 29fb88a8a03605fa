package io.sluice.testkit;

import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;

/** A response as the client saw it. */
public record TestResponse(int status, MultiMap headers, String body) {

  public String header(String name) {
    return headers.get(name);
  }

  /** The body as a JSON object (problem bodies, echo bodies). */
  public JsonObject json() {
    return new JsonObject(body);
  }
}
