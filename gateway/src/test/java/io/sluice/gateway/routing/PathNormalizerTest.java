package io.sluice.gateway.routing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PathNormalizerTest {

  @Test
  void leavesOrdinaryPathsAloneWithoutCopying() {
    String p = "/orders/42/items";
    assertThat(PathNormalizer.normalize(p)).isSameAs(p);
    assertThat(PathNormalizer.normalize("/a.b/c.json")).isEqualTo("/a.b/c.json");
  }

  @Test
  void removesDotSegments() {
    assertThat(PathNormalizer.normalize("/a/./b/../c")).isEqualTo("/a/c");
    assertThat(PathNormalizer.normalize("/a/b/..")).isEqualTo("/a/");
    assertThat(PathNormalizer.normalize("/a/%2e%2E/admin")).isEqualTo("/admin");
    assertThat(PathNormalizer.normalize("/..hidden/x")).isEqualTo("/..hidden/x");
  }

  @Test
  void refusesPathsAboveTheRootOrNotInOriginForm() {
    assertThat(PathNormalizer.normalize("/../etc/passwd")).isNull();
    assertThat(PathNormalizer.normalize("/a/../../b")).isNull();
    assertThat(PathNormalizer.normalize("*")).isNull();
    assertThat(PathNormalizer.normalize("")).isNull();
  }

  @Test
  void decodesPercentEscapesAsUtf8() {
    assertThat(PathNormalizer.decode("caf%C3%A9%20au+lait")).isEqualTo("café au+lait");
    assertThat(PathNormalizer.decode("100%")).isEqualTo("100%");
    assertThat(PathNormalizer.decode("%zz")).isEqualTo("%zz");
  }
}
