#pragma once
// MQTT 3.1.1 control packets (3.1 / "MQIsdp" CONNECT accepted) as values, and
// the pure byte codec for them: no sockets, no exceptions, no global state.
// Every function here may be called from any thread.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"

namespace trellis::mqtt {

// The largest value the four-byte Remaining Length can carry (2.2.3).
inline constexpr std::size_t max_remaining_length = 268'435'455;

enum class PacketType : uint8_t {
  connect = 1,
  connack,
  publish,
  puback,
  pubrec,
  pubrel,
  pubcomp,
  subscribe,
  suback,
  unsubscribe,
  unsuback,
  pingreq,
  pingresp,
  disconnect
};

// "CONNECT", "PUBLISH", ... for log lines.
std::string_view packet_type_name(PacketType type);

// CONNACK return codes (3.2.2.3).
namespace connack_code {
inline constexpr uint8_t accepted = 0x00;
inline constexpr uint8_t unacceptable_protocol_version = 0x01;
inline constexpr uint8_t identifier_rejected = 0x02;
inline constexpr uint8_t server_unavailable = 0x03;
inline constexpr uint8_t bad_username_or_password = 0x04;
inline constexpr uint8_t not_authorized = 0x05;
}  // namespace connack_code

// SUBACK return code for a refused subscription (3.9.3).
inline constexpr uint8_t suback_failure = 0x80;

// CONNECT protocol levels the codec decodes in full (3.1.2.2).
inline constexpr uint8_t protocol_level_3_1 = 3;    // name "MQIsdp"
inline constexpr uint8_t protocol_level_3_1_1 = 4;  // name "MQTT"

struct Will {
  std::string topic;
  std::string payload;  // binary
  uint8_t qos = 0;
  bool retain = false;
  bool operator==(const Will&) const = default;
};

// A CONNECT whose protocol level is neither 3 nor 4 is decoded only up to its
// keep alive (name, level, clean session, keep alive) and its payload is left
// unread: the broker answers CONNACK 0x01 and closes [MQTT-3.1.2-2].
struct Connect {
  std::string protocol_name = "MQTT";
  uint8_t protocol_level = protocol_level_3_1_1;
  bool clean_session = true;
  uint16_t keepalive = 0;  // seconds
  std::string client_id;
  std::optional<Will> will;
  std::optional<std::string> username;
  std::optional<std::string> password;  // binary
  bool operator==(const Connect&) const = default;
};

struct Connack {
  bool session_present = false;
  uint8_t return_code = connack_code::accepted;
  bool operator==(const Connack&) const = default;
};

struct Publish {
  bool dup = false;
  uint8_t qos = 0;
  bool retain = false;
  std::string topic;
  uint16_t packet_id = 0;  // 0 for QoS 0
  std::string payload;     // binary
  bool operator==(const Publish&) const = default;
};

struct Puback {
  uint16_t packet_id = 0;
  bool operator==(const Puback&) const = default;
};
struct Pubrec {
  uint16_t packet_id = 0;
  bool operator==(const Pubrec&) const = default;
};
struct Pubrel {
  uint16_t packet_id = 0;
  bool operator==(const Pubrel&) const = default;
};
struct Pubcomp {
  uint16_t packet_id = 0;
  bool operator==(const Pubcomp&) const = default;
};

struct SubscribeTopic {
  std::string filter;
  uint8_t qos = 0;  // requested maximum QoS
  bool operator==(const SubscribeTopic&) const = default;
};

struct Subscribe {
  uint16_t packet_id = 0;
  std::vector<SubscribeTopic> topics;
  bool operator==(const Subscribe&) const = default;
};

struct Suback {
  uint16_t packet_id = 0;
  std::vector<uint8_t> return_codes;  // granted QoS 0..2 or suback_failure
  bool operator==(const Suback&) const = default;
};

struct Unsubscribe {
  uint16_t packet_id = 0;
  std::vector<std::string> filters;
  bool operator==(const Unsubscribe&) const = default;
};

struct Unsuback {
  uint16_t packet_id = 0;
  bool operator==(const Unsuback&) const = default;
};

struct Pingreq {
  bool operator==(const Pingreq&) const = default;
};
struct Pingresp {
  bool operator==(const Pingresp&) const = default;
};
struct Disconnect {
  bool operator==(const Disconnect&) const = default;
};

// Alternative i is PacketType i + 1, so packet_type() is an index lookup.
using Packet = std::variant<Connect, Connack, Publish, Puback, Pubrec, Pubrel, Pubcomp, Subscribe,
                            Suback, Unsubscribe, Unsuback, Pingreq, Pingresp, Disconnect>;

inline PacketType packet_type(const Packet& p) {
  return static_cast<PacketType>(p.index() + 1);
}

// ---------------------------------------------------------------- decoding

enum class DecodeStatus : uint8_t {
  incomplete,  // the buffer holds no whole packet yet: read more and call again
  packet,      // `packet` holds the first packet; drop `consumed` bytes from the buffer
  error,       // the stream is malformed: close the connection (4.8)
};

struct DecodeResult {
  DecodeStatus status = DecodeStatus::incomplete;
  std::size_t consumed = 0;  // whole packet length when status == packet, else 0
  Packet packet;             // meaningful when status == packet
  Error error;               // meaningful when status == error

  bool is_packet() const { return status == DecodeStatus::packet; }
  bool is_incomplete() const { return status == DecodeStatus::incomplete; }
  bool is_error() const { return status == DecodeStatus::error; }
};

// Decodes the first packet of `buffer`, the bytes received so far. Errors in
// the fixed header (type, flags, Remaining Length, size) are reported as soon
// as those bytes are present, before the rest of the packet arrives.
// `max_packet_size` bounds the whole packet (fixed header included); 0 means
// only the protocol's own limit.
//
// Error codes: bad_packet_type, reserved_flags, bad_remaining_length,
// packet_too_large, malformed, bad_qos, bad_dup, packet_id_zero, bad_utf8,
// empty_topic, wildcard_in_topic, empty_filter, bad_multi_level_wildcard,
// bad_single_level_wildcard, empty_subscription, bad_protocol_name,
// bad_connect_flags, bad_connack_flags, bad_return_code.
DecodeResult decode(std::string_view buffer, std::size_t max_packet_size);

// Accumulates a byte stream and hands out whole packets, for connections that
// do not want to manage the buffer themselves. Not thread-safe: one owner.
class Decoder {
 public:
  explicit Decoder(std::size_t max_packet_size) : max_packet_size_(max_packet_size) {}

  void feed(std::string_view bytes);

  // Room for `n` more bytes to read into directly, then commit() what arrived.
  char* prepare(std::size_t n);
  void commit(std::size_t n);

  // The next packet, incomplete, or an error (after which the stream is dead).
  DecodeResult next();

  std::size_t buffered() const { return size_ - start_; }
  std::size_t capacity() const { return capacity_; }

  // Gives back buffer memory beyond `keep` bytes while no bytes are buffered,
  // so that an idle connection holds little.
  void shrink_to(std::size_t keep);

 private:
  void compact();

  std::size_t max_packet_size_;
  std::unique_ptr<char[]> buf_;  // bytes [start_, size_) are unread
  std::size_t capacity_ = 0;
  std::size_t start_ = 0;
  std::size_t size_ = 0;
};

// ---------------------------------------------------------------- encoding
// Preconditions (true of every decoded packet): strings at most 65535 bytes,
// QoS 0..2, and the Remaining Length at most max_remaining_length.

std::string encode(const Packet& packet);

// Appends the encoding of `packet` to `out` (to batch several in one write).
void encode_to(const Packet& packet, std::string& out);

// Fixed header and variable header of a PUBLISH whose payload has
// `payload_size` bytes; the caller sends the shared payload right after it
// (gather write), so the payload is never copied per subscriber.
std::string encode_publish_header(std::string_view topic, uint8_t qos, bool retain, bool dup,
                                  uint16_t packet_id, std::size_t payload_size);

// Sets DUP on an encoded PUBLISH (header or whole packet), for a resend [MQTT-3.3.1-1].
void set_dup_flag(std::string& publish);

// The Remaining Length field for `value` (2.2.3): 1 to 4 bytes.
std::string encoded_remaining_length(std::size_t value);

// How many bytes the Remaining Length field takes for `value`.
std::size_t remaining_length_size(std::size_t value);

}  // namespace trellis::mqtt
