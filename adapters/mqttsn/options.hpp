#pragma once
// What the MQTT-SN gateway is told by the configuration (mqttsn.* keys), as a
// typed struct: the app fills it, the gateway never reads JSON.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace trellis::mqttsn {

struct GatewayOptions {
  std::string bind = "127.0.0.1";  // mqttsn.bind
  uint16_t port = 1884;            // mqttsn.port; 0 binds an ephemeral port (tests)
  uint8_t gateway_id = 1;          // mqttsn.gateway_id, in ADVERTISE and GWINFO
  // mqttsn.predefined_topics: ids every client knows in advance (3.3, 6.6).
  std::map<uint16_t, std::string> predefined_topics{};
  std::chrono::seconds advertise_interval{0};  // mqttsn.advertise_interval; 0 = off
  std::string advertise_address{};             // mqttsn.advertise_address "ip:port"; empty = off
  std::chrono::seconds retry_interval{10};     // mqttsn.retry_interval: Tretry (6.13)
  unsigned max_retries = 5;                    // mqttsn.max_retries: Nretry (6.13)
  bool require_registered = false;             // mqttsn.require_registered
  // mqttsn.max_buffered_messages: messages held for one client (asleep,
  // disconnected with a persistent session, or waiting behind the one message
  // in flight); the oldest is dropped when full.
  std::size_t max_buffered_messages = 100;

  // Not configuration keys: limits with fixed defaults.
  std::size_t max_topics_per_client = 1000;      // beyond: REGACK / SUBACK "congestion"
  std::size_t max_clients = 0;                   // beyond: CONNACK "congestion"; 0 = unlimited
  std::size_t max_datagram = 65507;              // largest UDP payload over IPv4
  std::chrono::milliseconds tick_interval{100};  // how often timers are checked
};

}  // namespace trellis::mqttsn
