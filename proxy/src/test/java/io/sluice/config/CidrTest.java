package io.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CidrTest {

  @Test
  void blocksMatchTheirAddressesOnly() {
    Cidr ten = Cidr.parse("10.0.0.0/8");
    assertTrue(ten.contains("10.255.1.2"));
    assertFalse(ten.contains("11.0.0.1"));
    assertTrue(ten.contains("::ffff:10.1.2.3"), "the IPv4-mapped form of an IPv4 client");
    Cidr odd = Cidr.parse("192.168.0.0/23");
    assertTrue(odd.contains("192.168.1.255"));
    assertFalse(odd.contains("192.168.2.0"));
    Cidr six = Cidr.parse("2001:db8::/32");
    assertTrue(six.contains("2001:db8:ffff::1"));
    assertFalse(six.contains("2001:db9::1"));
    assertFalse(six.contains("10.0.0.1"));
    assertTrue(Cidr.parse("0.0.0.0/0").contains("203.0.113.7"));
  }

  @Test
  void aBareAddressIsABlockOfOneAndHostBitsAreDropped() {
    assertEquals(Cidr.parse("203.0.113.7/32"), Cidr.parse("203.0.113.7"));
    assertEquals("10.0.0.0/8", Cidr.parse("10.9.8.7/8").toString());
    assertTrue(Cidr.parse("203.0.113.7").contains("203.0.113.7"));
    assertFalse(Cidr.parse("203.0.113.7").contains("203.0.113.8"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "proxy.example", "10.0.0", "10.0.0.256", "10.0.0.0/", "10.0.0.0/x", "::1/129", "1.2.3.4/33",
      "localhost"})
  void anythingButALiteralIsRefused(String text) {
    assertThrows(IllegalArgumentException.class, () -> Cidr.parse(text));
  }

  @Test
  void neverLooksANameUp() {
    assertFalse(Cidr.parse("127.0.0.0/8").contains("localhost"));
  }
}
