package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** The trusted-proxies setting: CIDRs and addresses, IPv4 and IPv6; a bad entry stops the start. */
class TrustedProxiesTest {

  @Test
  void networksContainExactlyTheirAddresses() throws Exception {
    TrustedProxies proxies = TrustedProxies.parse(" 10.0.0.0/8, 192.168.1.7 ,fd00::/8, 172.16.0.0/12");
    assertTrue(proxies.trusts(InetAddress.getByName("10.255.255.255")));
    assertFalse(proxies.trusts(InetAddress.getByName("11.0.0.0")));
    assertTrue(proxies.trusts(InetAddress.getByName("192.168.1.7")));
    assertFalse(proxies.trusts(InetAddress.getByName("192.168.1.8")));
    assertTrue(proxies.trusts(InetAddress.getByName("172.31.0.1")));
    assertFalse(proxies.trusts(InetAddress.getByName("172.32.0.1")));
    assertTrue(proxies.trusts(InetAddress.getByName("fd12::1")));
    assertFalse(proxies.trusts(InetAddress.getByName("fe80::1")));
    assertFalse(TrustedProxies.parse("").trusts(InetAddress.getByName("127.0.0.1")), "none by default");
  }

  @Test
  void aBadEntryStopsTheStartNamingTheKey() {
    for (String bad : new String[] {"10.0.0.0/33", "proxy.internal", "10.0.0.0/x", "300.1.1.1"}) {
      ConfigException e = assertThrows(ConfigException.class, () -> HttpSettings.from(ConfigFactory
          .parseString("troupe.http.trusted-proxies = \"" + bad + "\"").withFallback(ConfigFactory.load())), bad);
      assertTrue(e.getMessage().contains("troupe.http.trusted-proxies"), e.getMessage());
    }
  }
}
