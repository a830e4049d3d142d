#pragma once
// The few MQTT 3.1.1 packets the standalone benchmarks send and read, written
// from the specification (OASIS MQTT 3.1.1, sections 1 to 3) on purpose
// instead of using adapters/mqtt: a bench that shared the server's codec would
// share its mistakes and could not catch them.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trellis::bench::raw_mqtt {

// Two octets, most significant first (1.5.2); MQTT-SN's integers are the same.
inline void append_u16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

inline uint16_t read_u16(std::string_view s, std::size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(s[at]) << 8) |
                               static_cast<uint8_t>(s[at + 1]));
}

// UTF-8 string: its length in two octets, then the bytes (1.5.3).
inline void append_string(std::string& out, std::string_view s) {
  append_u16(out, static_cast<uint16_t>(s.size()));
  out.append(s);
}

// Remaining Length: 7 bits per octet, high bit = more (2.2.3).
inline void append_remaining_length(std::string& out, std::size_t n) {
  do {
    auto b = static_cast<uint8_t>(n & 0x7f);
    n >>= 7;
    out.push_back(static_cast<char>(n ? b | 0x80 : b));
  } while (n);
}

inline std::string packet(uint8_t first_byte, std::string_view body) {
  std::string out(1, static_cast<char>(first_byte));
  append_remaining_length(out, body.size());
  out.append(body);
  return out;
}

// Protocol level 4, clean session, anonymous (3.1). No keep-alive: a bench
// that publishes or drains for minutes without a PINGREQ is not silent.
inline std::string connect(std::string_view client_id) {
  std::string body;
  append_string(body, "MQTT");
  body.push_back(4);
  body.push_back(0x02);
  append_u16(body, 0);
  append_string(body, client_id);
  return packet(0x10, body);
}

// Appended rather than returned: publishers build thousands into one buffer (3.3).
inline void append_publish(std::string& out, std::string_view topic, std::string_view payload,
                           int qos, uint16_t packet_id) {
  out.push_back(static_cast<char>(0x30 | (qos << 1)));
  append_remaining_length(out, 2 + topic.size() + (qos > 0 ? 2 : 0) + payload.size());
  append_string(out, topic);
  if (qos > 0) append_u16(out, packet_id);
  out.append(payload);
}

inline void append_puback(std::string& out, uint16_t packet_id) {
  out.append("\x40\x02", 2);
  append_u16(out, packet_id);
}

// One topic filter (3.8).
inline std::string subscribe(uint16_t packet_id, std::string_view filter, int qos) {
  std::string body;
  append_u16(body, packet_id);
  append_string(body, filter);
  body.push_back(static_cast<char>(qos));
  return packet(0x82, body);
}

inline std::string unsubscribe(uint16_t packet_id, std::string_view filter) {
  std::string body;
  append_u16(body, packet_id);
  append_string(body, filter);
  return packet(0xA2, body);
}

inline std::string disconnect() {
  return std::string("\xe0\x00", 2);
}

// A PUBLISH the broker sent (3.3); the views point into the packet's body.
struct Publish {
  int qos = 0;
  bool dup = false;
  std::string_view topic;
  uint16_t packet_id = 0;  // QoS 1 and 2 only
  std::string_view payload;
};

// nullopt when the body is shorter than its own fields say.
inline std::optional<Publish> parse_publish(uint8_t first_byte, std::string_view body) {
  Publish p;
  p.qos = (first_byte >> 1) & 3;
  p.dup = (first_byte & 0x08) != 0;
  if (body.size() < 2) return std::nullopt;
  std::size_t at = 2 + read_u16(body, 0);
  if (body.size() < at) return std::nullopt;
  p.topic = body.substr(2, at - 2);
  if (p.qos > 0) {
    if (body.size() < at + 2) return std::nullopt;
    p.packet_id = read_u16(body, at);
    at += 2;
  }
  p.payload = body.substr(at);
  return p;
}

}  // namespace trellis::bench::raw_mqtt
