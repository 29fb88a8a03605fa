package io.sluice.policies.net;

import io.netty.util.NetUtil;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 address block ({@code 10.0.0.0/8}, {@code 2001:db8::/32}, or one address). Parsed
 * without DNS: only numeric addresses are accepted. An IPv4-mapped IPv6 peer address ({@code
 * ::ffff:10.1.2.3}) matches IPv4 blocks.
 */
public final class Cidr {

  private final byte[] network;
  private final int prefix;
  private final String text;

  private Cidr(byte[] network, int prefix, String text) {
    this.network = network;
    this.prefix = prefix;
    this.text = text;
  }

  /** Parses a block; throws {@link IllegalArgumentException} saying what was expected. */
  public static Cidr parse(String text) {
    int slash = text.indexOf('/');
    String addr = slash < 0 ? text : text.substring(0, slash);
    byte[] bytes = NetUtil.createByteArrayFromIpAddressString(addr);
    if (bytes == null) {
      throw new IllegalArgumentException(
          "'" + text + "' (expected: an IP address or CIDR block such as 10.0.0.0/8 or fd00::/8)");
    }
    int bits = bytes.length * 8;
    int prefix = bits;
    if (slash >= 0) {
      try {
        prefix = Integer.parseInt(text.substring(slash + 1));
      } catch (NumberFormatException e) {
        prefix = -1;
      }
      if (prefix < 0 || prefix > bits) {
        throw new IllegalArgumentException(
            "'" + text + "' (expected: a prefix length from 0 to " + bits + ")");
      }
    }
    return new Cidr(mask(bytes, prefix), prefix, text);
  }

  private static byte[] mask(byte[] bytes, int prefix) {
    byte[] out = Arrays.copyOf(bytes, bytes.length);
    for (int i = 0; i < out.length; i++) {
      int keep = Math.max(0, Math.min(8, prefix - i * 8));
      out[i] &= (byte) (0xff << (8 - keep));
    }
    return out;
  }

  /** Whether a numeric address (as Vert.x reports a peer) lies in this block. */
  public boolean contains(String address) {
    byte[] bytes = NetUtil.createByteArrayFromIpAddressString(address);
    return bytes != null && contains(bytes);
  }

  public boolean contains(byte[] address) {
    byte[] a = address;
    if (a.length == 16 && network.length == 4 && isV4Mapped(a)) {
      a = Arrays.copyOfRange(a, 12, 16);
    }
    if (a.length != network.length) {
      return false;
    }
    int full = prefix / 8;
    for (int i = 0; i < full; i++) {
      if (a[i] != network[i]) {
        return false;
      }
    }
    int rest = prefix % 8;
    if (rest == 0) {
      return true;
    }
    int m = 0xff << (8 - rest);
    return (a[full] & m) == (network[full] & m);
  }

  private static boolean isV4Mapped(byte[] a) {
    for (int i = 0; i < 10; i++) {
      if (a[i] != 0) {
        return false;
      }
    }
    return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
  }

  @Override
  public String toString() {
    return text;
  }
}
