#pragma once
// MQTT-SN 1.2 messages (spec section 5) as values, and the pure codec between
// them and UDP datagrams. No sockets, no session state; never throws.
//
// Clause numbers in comments refer to "MQTT For Sensor Networks (MQTT-SN)
// Protocol Specification Version 1.2".
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/result.hpp"

namespace trellis::mqttsn {

// MsgType values (5.2.2, table 3). Values not listed are reserved.
enum class MsgType : uint8_t {
  advertise = 0x00,
  searchgw = 0x01,
  gwinfo = 0x02,
  connect = 0x04,
  connack = 0x05,
  willtopicreq = 0x06,
  willtopic = 0x07,
  willmsgreq = 0x08,
  willmsg = 0x09,
  reg = 0x0A,  // REGISTER; `register` is a C++ keyword
  regack = 0x0B,
  publish = 0x0C,
  puback = 0x0D,
  pubcomp = 0x0E,
  pubrec = 0x0F,
  pubrel = 0x10,
  subscribe = 0x12,
  suback = 0x13,
  unsubscribe = 0x14,
  unsuback = 0x15,
  pingreq = 0x16,
  pingresp = 0x17,
  disconnect = 0x18,
  willtopicupd = 0x1A,
  willtopicresp = 0x1B,
  willmsgupd = 0x1C,
  willmsgresp = 0x1D,
  encapsulated = 0xFE,  // forwarder encapsulation (5.5)
};

// The spec's upper-case name, for logs ("PUBLISH"); "UNKNOWN" otherwise.
std::string_view name(MsgType type);

// TopicIdType bits of the flags (5.3.4); binary 11 is reserved.
enum class TopicIdType : uint8_t { normal = 0, predefined = 1, short_name = 2 };

// ReturnCode (5.3.10); 0x04-0xFF are reserved and rejected when decoding.
enum class ReturnCode : uint8_t {
  accepted = 0x00,
  congestion = 0x01,
  invalid_topic_id = 0x02,
  not_supported = 0x03,
};

// The flags octet (5.3.4). Each message uses only some of these bits; the
// codec ignores the others on decode and writes them as 0.
struct Flags {
  bool dup = false;
  int8_t qos = 0;  // -1, 0, 1, 2; QoS -1 is binary 11
  bool retain = false;
  bool will = false;
  bool clean_session = false;
  TopicIdType topic_id_type = TopicIdType::normal;
  bool operator==(const Flags&) const = default;
};

// Out-of-range qos is written as 0. Fails with "bad_flags" when TopicIdType is 11.
uint8_t encode_flags(const Flags& flags);
Result<Flags> decode_flags(uint8_t octet);

// A short topic name is two characters carried in the TopicId field (3.3,
// 5.3.11), first character in the high octet.
uint16_t short_topic_id(char first, char second);
std::string short_topic_name(uint16_t topic_id);

// ---- Messages (5.4). Field names follow the spec. ----

// 5.4.1
struct Advertise {
  uint8_t gw_id = 0;
  uint16_t duration = 0;  // seconds until the next ADVERTISE
  bool operator==(const Advertise&) const = default;
};

// 5.4.2
struct SearchGw {
  uint8_t radius = 0;
  bool operator==(const SearchGw&) const = default;
};

// 5.4.3. gw_add is present only when a client answers for a gateway; empty = absent.
struct GwInfo {
  uint8_t gw_id = 0;
  std::string gw_add{};
  bool operator==(const GwInfo&) const = default;
};

// 5.4.4. ProtocolId is always 0x01 on the wire and not kept.
struct Connect {
  bool will = false;
  bool clean_session = false;
  uint16_t duration = 0;  // keep-alive, seconds
  std::string client_id{};
  bool operator==(const Connect&) const = default;
};

// 5.4.5
struct Connack {
  ReturnCode return_code = ReturnCode::accepted;
  bool operator==(const Connack&) const = default;
};

// 5.4.6
struct WillTopicReq {
  bool operator==(const WillTopicReq&) const = default;
};

// 5.4.7. An empty will_topic is the "empty WILLTOPIC" (2 octets, no flags):
// it deletes the will; qos and retain are then neither sent nor decoded.
struct WillTopic {
  int8_t qos = 0;  // 0, 1, 2
  bool retain = false;
  std::string will_topic{};
  bool operator==(const WillTopic&) const = default;
};

// 5.4.8
struct WillMsgReq {
  bool operator==(const WillMsgReq&) const = default;
};

// 5.4.9
struct WillMsg {
  std::string will_msg{};
  bool operator==(const WillMsg&) const = default;
};

// 5.4.10. topic_id is 0x0000 when a client sends it.
struct Register {
  uint16_t topic_id = 0;
  uint16_t msg_id = 0;
  std::string topic_name{};
  bool operator==(const Register&) const = default;
};

// 5.4.11
struct Regack {
  uint16_t topic_id = 0;
  uint16_t msg_id = 0;
  ReturnCode return_code = ReturnCode::accepted;
  bool operator==(const Regack&) const = default;
};

// 5.4.12. topic_id_type says what topic_id is: a registered id, a predefined
// id, or a short topic name (see short_topic_id / short_topic_name).
// QoS -1 is only valid with a predefined id or a short name (6.8).
struct Publish {
  bool dup = false;
  int8_t qos = 0;  // -1, 0, 1, 2
  bool retain = false;
  TopicIdType topic_id_type = TopicIdType::normal;
  uint16_t topic_id = 0;
  uint16_t msg_id = 0;  // 0x0000 for QoS 0 and -1
  std::string data{};
  bool operator==(const Publish&) const = default;
};

// 5.4.13
struct Puback {
  uint16_t topic_id = 0;
  uint16_t msg_id = 0;
  ReturnCode return_code = ReturnCode::accepted;
  bool operator==(const Puback&) const = default;
};

// 5.4.14
struct Pubcomp {
  uint16_t msg_id = 0;
  bool operator==(const Pubcomp&) const = default;
};
struct Pubrec {
  uint16_t msg_id = 0;
  bool operator==(const Pubrec&) const = default;
};
struct Pubrel {
  uint16_t msg_id = 0;
  bool operator==(const Pubrel&) const = default;
};

// What SUBSCRIBE and UNSUBSCRIBE name (5.4.15, 5.4.17). The alternative
// decides the TopicIdType bits: normal, predefined, short_name.
struct TopicName {
  std::string name{};  // a topic filter, may hold wildcards
  bool operator==(const TopicName&) const = default;
};
struct PredefinedTopicId {
  uint16_t id = 0;
  bool operator==(const PredefinedTopicId&) const = default;
};
struct ShortTopicName {
  std::array<char, 2> chars{};
  std::string str() const { return std::string(chars.data(), chars.size()); }
  bool operator==(const ShortTopicName&) const = default;
};
using TopicRef = std::variant<TopicName, PredefinedTopicId, ShortTopicName>;

TopicIdType topic_id_type(const TopicRef& topic);

// 5.4.15
struct Subscribe {
  bool dup = false;
  int8_t qos = 0;  // requested: 0, 1, 2
  uint16_t msg_id = 0;
  TopicRef topic{};
  bool operator==(const Subscribe&) const = default;
};

// 5.4.16
struct Suback {
  int8_t qos = 0;  // granted: 0, 1, 2
  uint16_t topic_id = 0;
  uint16_t msg_id = 0;
  ReturnCode return_code = ReturnCode::accepted;
  bool operator==(const Suback&) const = default;
};

// 5.4.17
struct Unsubscribe {
  uint16_t msg_id = 0;
  TopicRef topic{};
  bool operator==(const Unsubscribe&) const = default;
};

// 5.4.18
struct Unsuback {
  uint16_t msg_id = 0;
  bool operator==(const Unsuback&) const = default;
};

// 5.4.19. client_id is sent only by a sleeping client checking for its
// buffered messages (6.14); empty = absent.
struct Pingreq {
  std::string client_id{};
  bool operator==(const Pingreq&) const = default;
};

// 5.4.20
struct Pingresp {
  bool operator==(const Pingresp&) const = default;
};

// 5.4.21. With a duration the client goes to sleep (6.14).
struct Disconnect {
  std::optional<uint16_t> duration{};
  bool operator==(const Disconnect&) const = default;
};

// 5.4.22. An empty will_topic (2 octets, no flags) deletes the will.
struct WillTopicUpd {
  int8_t qos = 0;  // 0, 1, 2
  bool retain = false;
  std::string will_topic{};
  bool operator==(const WillTopicUpd&) const = default;
};

// 5.4.24
struct WillTopicResp {
  ReturnCode return_code = ReturnCode::accepted;
  bool operator==(const WillTopicResp&) const = default;
};

// 5.4.23
struct WillMsgUpd {
  std::string will_msg{};
  bool operator==(const WillMsgUpd&) const = default;
};

// 5.4.25
struct WillMsgResp {
  ReturnCode return_code = ReturnCode::accepted;
  bool operator==(const WillMsgResp&) const = default;
};

// 5.5. A forwarder wraps a client's message. Its length field counts only up
// to the end of the Wireless Node Id; the wrapped message follows, kept here
// as raw bytes for the caller to decode() in turn.
struct Encapsulated {
  uint8_t radius = 0;  // Ctrl bits 0-1; only 0-3 fit
  std::string wireless_node_id{};
  std::string message{};
  bool operator==(const Encapsulated&) const = default;
};

using Message =
    std::variant<Advertise, SearchGw, GwInfo, Connect, Connack, WillTopicReq, WillTopic, WillMsgReq,
                 WillMsg, Register, Regack, Publish, Puback, Pubcomp, Pubrec, Pubrel, Subscribe,
                 Suback, Unsubscribe, Unsuback, Pingreq, Pingresp, Disconnect, WillTopicUpd,
                 WillTopicResp, WillMsgUpd, WillMsgResp, Encapsulated>;

MsgType type_of(const Message& message);

// Stable error codes of decode().
namespace errc {
// Fewer octets than the header, or than the Length field announces.
inline constexpr std::string_view truncated = "truncated";
// Length field impossible (0, below the header) or smaller than the datagram.
inline constexpr std::string_view bad_length = "bad_length";
// MsgType reserved (5.2.2).
inline constexpr std::string_view unknown_type = "unknown_type";
// TopicIdType 11 (reserved) where the message uses TopicIdType (5.3.4).
inline constexpr std::string_view bad_flags = "bad_flags";
// QoS -1 where the message does not allow it (5.3.4, 6.8).
inline constexpr std::string_view bad_qos = "bad_qos";
// ReturnCode 0x04-0xFF (5.3.10).
inline constexpr std::string_view bad_return_code = "bad_return_code";
// ProtocolId other than 0x01 (5.3.8).
inline constexpr std::string_view bad_protocol_id = "bad_protocol_id";
// Topic name or client id not well-formed UTF-8 (5.3.1, 5.3.12).
inline constexpr std::string_view bad_utf8 = "bad_utf8";
// A topic name field that is present but empty (REGISTER, SUBSCRIBE, UNSUBSCRIBE,
// a WILLTOPIC that has flags).
inline constexpr std::string_view empty_topic = "empty_topic";
// Body size does not fit the message type.
inline constexpr std::string_view malformed = "malformed";
}  // namespace errc

// One datagram is one message (5.2): the Length field, in its 1-octet or
// 3-octet form (0x01 then 16 bits big-endian), must equal the datagram size,
// except for the Encapsulated message whose Length covers only its own header.
// Bits a message does not use in its flags (and Ctrl bits 2-7) are ignored.
Result<Message> decode(std::string_view datagram);

// The 1-octet Length form when the total is under 256 octets, else the 3-octet
// form. Fields out of range are clamped to what the wire can carry (qos outside
// -1..2 becomes 0). A message longer than 65535 octets cannot be framed: the
// result is then empty.
std::string encode(const Message& message);

}  // namespace trellis::mqttsn
