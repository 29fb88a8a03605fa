package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.gateway.config.ConfigException;
import io.sluice.gateway.config.ConfigLoader;
import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestBackend;
import io.vertx.core.http.HttpMethod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example plugin's built jar, loaded from a plugins directory as an operator would. */
class PluginDirectoryTest {

  static final Path JAR = Path.of(System.getProperty("sluice.plugin.jar"));

  @TempDir static Path dir;

  static final String ROUTES =
      """
      gateway:
        plugins: { dir: ./plugins }
      backends:
        hooks: { type: http, targets: [ "${backend:hooks}" ] }
      routes:
        - id: hooks
          match: { path: /hooks }
          backend: hooks
          policies:
            - webhook-signature: { secret: "0123456789abcdef0123" }
      """;

  static Path pluginsDir() throws Exception {
    Path plugins = dir.resolve("plugins");
    if (!Files.exists(plugins)) {
      Files.createDirectories(plugins);
      Files.copy(JAR, plugins.resolve("webhook-signature.jar"));
    }
    return plugins;
  }

  @Test
  void thePluginIsNotOnTheClassPath() {
    assertThatThrownBy(
            () ->
                new ConfigLoader(k -> null)
                    .load(
                        "routes.yaml",
                        dir,
                        """
                        backends: { b: { type: mock } }
                        routes:
                          - { id: r, match: { path: / }, backend: b, policies: [ { webhook-signature: { secret: "0123456789abcdef" } } ] }
                        """))
        .isInstanceOf(ConfigException.class)
        .satisfies(
            e ->
                assertThat(((ConfigException) e).describe())
                    .contains("unknown policy 'webhook-signature'"));
  }

  @Test
  void aJarInThePluginsDirectoryProvidesItsPolicyToTheRunningGateway() throws Exception {
    pluginsDir();
    SluiceExtension sluice =
        SluiceExtension.withConfig(ROUTES)
            .baseDir(dir)
            .backend("hooks", TestBackend.echo())
            .build();
    sluice.beforeAll(null);
    try {
      // Unsigned: the plugin, loaded from its jar, refuses it.
      assertThat(sluice.client().send(HttpMethod.POST, "/hooks", Map.of(), "{}").status())
          .isEqualTo(401);
      assertThat(sluice.backend("hooks").requestCount()).isZero();
    } finally {
      sluice.afterAll(null);
    }
  }

  @Test
  void theSamePolicyNameFromTwoJarsStopsTheLoad() throws Exception {
    Path twice = dir.resolve("twice");
    Files.createDirectories(twice);
    Files.copy(JAR, twice.resolve("a.jar"));
    Files.copy(JAR, twice.resolve("b.jar"));
    ConfigException e =
        (ConfigException)
            org.assertj.core.api.Assertions.catchThrowable(
                () ->
                    new ConfigLoader(k -> null)
                        .load(
                            "routes.yaml",
                            dir,
                            "gateway: { plugins: { dir: ./twice } }\nroutes: []\n"));
    assertThat(e).isNotNull();
    assertThat(e.describe())
        .contains(
            "routes.yaml:1:28 gateway.plugins.dir: policy 'webhook-signature' is provided twice")
        .contains("(a.jar)")
        .contains("(b.jar)");
  }
}
