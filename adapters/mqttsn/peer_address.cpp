#include "adapters/mqttsn/peer_address.hpp"

#include <charconv>
#include <cstdint>

namespace trellis::mqttsn {

namespace asio = boost::asio;
using udp = asio::ip::udp;

namespace {

// Every datagram is keyed by this text. inet_ntop formats IPv4 with
// sprintf, which was about a tenth of the gateway's CPU time for QoS 0
// publishes; to_chars is not.
std::string v4_text(const asio::ip::address_v4& addr, uint16_t port) {
  char buf[sizeof "255.255.255.255:65535"];
  char* p = buf;
  char* const end = buf + sizeof buf;
  const auto bytes = addr.to_bytes();
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    p = std::to_chars(p, end, static_cast<unsigned>(bytes[i])).ptr;
    *p++ = i + 1 < bytes.size() ? '.' : ':';
  }
  p = std::to_chars(p, end, static_cast<unsigned>(port)).ptr;
  return std::string(buf, p);
}

}  // namespace

std::string address_text(const udp::endpoint& ep) {
  const auto addr = ep.address();
  if (addr.is_v4()) return v4_text(addr.to_v4(), ep.port());
  const auto v6 = addr.to_v6();
  if (v6.is_v4_mapped())
    return v4_text(asio::ip::make_address_v4(asio::ip::v4_mapped, v6), ep.port());
  return "[" + v6.to_string() + "]:" + std::to_string(ep.port());
}

std::optional<udp::endpoint> parse_address(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(std::string(host), ec);
  if (ec || port.empty() || port.size() > 5) return std::nullopt;
  unsigned long n = 0;
  for (const char ch : port) {
    if (ch < '0' || ch > '9') return std::nullopt;
    n = n * 10 + static_cast<unsigned long>(ch - '0');
  }
  if (n == 0 || n > 65535) return std::nullopt;
  return udp::endpoint(addr, static_cast<uint16_t>(n));
}

}  // namespace trellis::mqttsn
