package io.sluice.policies.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CidrTest {

  @Test
  void matchesIpv4Blocks() {
    Cidr c = Cidr.parse("10.1.0.0/16");
    assertThat(c.contains("10.1.200.3")).isTrue();
    assertThat(c.contains("10.2.0.1")).isFalse();
    assertThat(Cidr.parse("192.168.1.7").contains("192.168.1.7")).isTrue();
    assertThat(Cidr.parse("192.168.1.7").contains("192.168.1.8")).isFalse();
    assertThat(Cidr.parse("172.16.0.0/12").contains("172.31.255.255")).isTrue();
    assertThat(Cidr.parse("0.0.0.0/0").contains("8.8.8.8")).isTrue();
  }

  @Test
  void matchesIpv6BlocksAndMappedIpv4() {
    assertThat(Cidr.parse("2001:db8::/32").contains("2001:db8:1::5")).isTrue();
    assertThat(Cidr.parse("2001:db8::/32").contains("2001:db9::5")).isFalse();
    assertThat(Cidr.parse("10.0.0.0/8").contains("::ffff:10.9.8.7")).isTrue();
    assertThat(Cidr.parse("10.0.0.0/8").contains("fe80::1")).isFalse();
  }

  @Test
  void refusesNamesAndBadPrefixesWithoutDns() {
    assertThatThrownBy(() -> Cidr.parse("localhost"))
        .hasMessageContaining("expected: an IP address");
    assertThatThrownBy(() -> Cidr.parse("10.0.0.0/33")).hasMessageContaining("0 to 32");
    assertThatThrownBy(() -> Cidr.parse("::/129")).hasMessageContaining("0 to 128");
    assertThat(Cidr.parse("10.0.0.0/8").contains("not-an-ip")).isFalse();
  }
}
