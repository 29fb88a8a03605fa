package io.sluice.gateway.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a running gateway reloads its route file from. Both methods block (file reads, plugin class
 * loading, schema files): the gateway calls them off the event loop.
 */
public interface ConfigSource {

  /** The file's name, for messages. */
  String name();

  /** The current text. Symbolic links are followed (a Kubernetes ConfigMap's swap). */
  String read() throws IOException;

  /** Parses and validates a text read from here. */
  SluiceConfig load(String text) throws ConfigException;

  /** A route file on disk; relative paths in it start at {@code baseDir}. */
  static ConfigSource file(Path file, Path baseDir, ConfigLoader loader) {
    return new ConfigSource() {
      @Override
      public String name() {
        return file.toString();
      }

      @Override
      public String read() throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8);
      }

      @Override
      public SluiceConfig load(String text) throws ConfigException {
        return loader.load(file.toString(), baseDir, text);
      }
    };
  }

  /** A route file on disk, relative paths starting at its directory. */
  static ConfigSource file(Path file, ConfigLoader loader) {
    return file(file, file.toAbsolutePath().getParent(), loader);
  }
}
