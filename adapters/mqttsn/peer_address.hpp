#pragma once
// A peer's UDP endpoint as the text the gateway keys its clients by, shows in
// logs and the REST API, and reads back when it sends: "ip:port" or
// "[ip6]:port". A v4-mapped IPv6 peer is shown, and keyed, as plain IPv4.
#include <boost/asio/ip/udp.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace trellis::mqttsn {

std::string address_text(const boost::asio::ip::udp::endpoint& ep);

// The inverse of address_text; nullopt for anything else (port 0 included).
std::optional<boost::asio::ip::udp::endpoint> parse_address(std::string_view text);

}  // namespace trellis::mqttsn
