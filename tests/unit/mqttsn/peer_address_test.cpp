#include "adapters/mqttsn/peer_address.hpp"

#include <gtest/gtest.h>

namespace trellis::mqttsn {
namespace {

namespace asio = boost::asio;
using udp = asio::ip::udp;

udp::endpoint ep(const char* addr, uint16_t port) {
  return udp::endpoint(asio::ip::make_address(addr), port);
}

TEST(PeerAddress, Ipv4Text) {
  EXPECT_EQ(address_text(ep("127.0.0.1", 1884)), "127.0.0.1:1884");
  EXPECT_EQ(address_text(ep("0.0.0.0", 1)), "0.0.0.0:1");
  EXPECT_EQ(address_text(ep("255.255.255.255", 65535)), "255.255.255.255:65535");
  EXPECT_EQ(address_text(ep("10.0.200.9", 0)), "10.0.200.9:0");
}

TEST(PeerAddress, V4MappedIpv6IsShownAsIpv4) {
  EXPECT_EQ(address_text(ep("::ffff:192.168.1.20", 40000)), "192.168.1.20:40000");
}

TEST(PeerAddress, Ipv6InBrackets) {
  EXPECT_EQ(address_text(ep("::1", 1884)), "[::1]:1884");
  EXPECT_EQ(address_text(ep("fe80::1:2", 7)), "[fe80::1:2]:7");
}

TEST(PeerAddress, ParsesWhatItFormats) {
  for (const auto& e : {ep("127.0.0.1", 1884), ep("255.255.255.255", 65535), ep("::1", 5),
                        ep("2001:db8::17", 60000)}) {
    auto back = parse_address(address_text(e));
    ASSERT_TRUE(back) << address_text(e);
    EXPECT_EQ(*back, e);
  }
}

TEST(PeerAddress, RefusesWhatItNeverFormats) {
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
                          "127.0.0.1:123456", "127.0.0.1:12a", "::1:1884x", "[::1]1884",
                          "[::1:1884", "host.example:1884", "256.0.0.1:1"}) {
    EXPECT_FALSE(parse_address(bad)) << bad;
  }
}

}  // namespace
}  // namespace trellis::mqttsn
