package io.sluice.policies;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Reads a policy's JSON Schema from the resource next to its factory. */
public final class Schemas {

  private Schemas() {}

  public static String load(Class<?> owner, String name) {
    try (InputStream in = owner.getResourceAsStream(name + ".schema.json")) {
      if (in == null) {
        throw new IllegalStateException(name + ".schema.json is missing");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
