// MQTT 3.1.1 codec: byte-exact vectors for every packet, one test per
// malformed-input rule, incremental decoding and Remaining Length limits.
// Clause numbers refer to the MQTT 3.1.1 OASIS standard.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/mqtt/codec.hpp"

namespace trellis::mqtt {
namespace {

constexpr std::size_t kMax = 1 << 20;

// One field of a vector: a byte value or literal text.
struct Piece {
  std::string s;
  Piece(int byte) : s(1, static_cast<char>(byte)) {}  // NOLINT(google-explicit-constructor)
  Piece(const char* text) : s(text) {}                // NOLINT(google-explicit-constructor)
  Piece(std::string text) : s(std::move(text)) {}     // NOLINT(google-explicit-constructor)
};

// A two-byte big-endian field: lengths and packet identifiers (1.5.2).
std::string u16(int v) {
  return std::string{static_cast<char>(v >> 8), static_cast<char>(v & 0xFF)};
}

std::string wire(std::initializer_list<Piece> pieces) {
  std::string out;
  for (const auto& p : pieces) out += p.s;
  return out;
}

template <typename T>
T decode_as(std::string_view bytes) {
  DecodeResult r = decode(bytes, kMax);
  EXPECT_TRUE(r.is_packet()) << (r.is_error() ? r.error.code + ": " + r.error.message
                                              : std::string("incomplete"));
  EXPECT_EQ(r.consumed, bytes.size());
  EXPECT_TRUE(std::holds_alternative<T>(r.packet));
  if (!std::holds_alternative<T>(r.packet)) return T{};
  return std::get<T>(r.packet);
}

std::string error_of(std::string_view bytes, std::size_t max = kMax) {
  DecodeResult r = decode(bytes, max);
  if (r.is_packet()) return "<packet>";
  if (r.is_incomplete()) return "<incomplete>";
  return r.error.code;
}

// ---------------------------------------------------------------- vectors

const std::string connect_full = wire({
    0x10,         // fixed header: CONNECT, reserved flags 0000 (3.1.1)
    31,           // Remaining Length (2.2.3)
    u16(0x0004),  // protocol name length (3.1.2.1)
    "MQTT",       // protocol name (3.1.2.1)
    0x04,         // protocol level 4 = 3.1.1 (3.1.2.2)
    0xEE,         // flags: user, password, will retain, will QoS 1, will, clean (3.1.2.3)
    u16(0x003C),  // keep alive 60 s (3.1.2.10)
    u16(0x0003),  // client identifier length (3.1.3.1)
    "cid",        // client identifier (3.1.3.1)
    u16(0x0003),  // will topic length (3.1.3.2)
    "w/t",        // will topic (3.1.3.2)
    u16(0x0002),  // will message length (3.1.3.3)
    "by",         // will message (3.1.3.3)
    u16(0x0001),  // user name length (3.1.3.4)
    "u",          // user name (3.1.3.4)
    u16(0x0002),  // password length (3.1.3.5)
    "pw",         // password (3.1.3.5)
});

Connect connect_full_value() {
  Connect c;
  c.protocol_name = "MQTT";
  c.protocol_level = 4;
  c.clean_session = true;
  c.keepalive = 60;
  c.client_id = "cid";
  c.will = Will{"w/t", "by", 1, true};
  c.username = "u";
  c.password = "pw";
  return c;
}

const std::string connect_minimal = wire({
    0x10,         // fixed header: CONNECT (3.1.1)
    13,           // Remaining Length (2.2.3)
    u16(0x0004),  // protocol name length (3.1.2.1)
    "MQTT",       // protocol name (3.1.2.1)
    0x04,         // protocol level 4 (3.1.2.2)
    0x00,         // flags: none, clean session 0 (3.1.2.3)
    u16(0x0000),  // keep alive 0 = off (3.1.2.10)
    u16(0x0001),  // client identifier length (3.1.3.1)
    "a",          // client identifier (3.1.3.1)
});

const std::string connect_mqisdp = wire({
    0x10,         // fixed header: CONNECT (3.1.1)
    19,           // Remaining Length (2.2.3)
    u16(0x0006),  // protocol name length (MQTT 3.1, 3.1.2.1)
    "MQIsdp",     // protocol name of MQTT 3.1
    0x03,         // protocol level 3 = MQTT 3.1 (3.1.2.2)
    0x02,         // flags: clean session (3.1.2.4)
    u16(0x000A),  // keep alive 10 s (3.1.2.10)
    u16(0x0005),  // client identifier length (3.1.3.1)
    "old-1",      // client identifier (3.1.3.1)
});

const std::string connack_vector = wire({
    0x20,  // fixed header: CONNACK, flags 0000 (3.2.1)
    0x02,  // Remaining Length 2 (3.2.1)
    0x01,  // acknowledge flags: session present (3.2.2.2)
    0x00,  // return code 0 accepted (3.2.2.3)
});

const std::string publish_qos0 = wire({
    0x30,         // fixed header: PUBLISH, DUP 0, QoS 0, RETAIN 0 (3.3.1)
    9,            // Remaining Length (2.2.3)
    u16(0x0003),  // topic name length (3.3.2.1)
    "a/b",        // topic name (3.3.2.1)
    "hey!",       // payload (3.3.3), no packet identifier at QoS 0 (3.3.2.2)
});

const std::string publish_qos1 = wire({
    0x3B,                        // fixed header: PUBLISH, DUP 1, QoS 1, RETAIN 1 (3.3.1.1-3.3.1.3)
    8,                           // Remaining Length (2.2.3)
    u16(0x0001),                 // topic name length (3.3.2.1)
    "t",                         // topic name (3.3.2.1)
    u16(0x1234),                 // packet identifier 0x1234 (3.3.2.2)
    std::string("\x00\xFF", 2),  // payload: binary, any bytes (3.3.3)
    "z",                         // payload, continued
});

const std::string publish_qos2 = wire({
    0x34,         // fixed header: PUBLISH, DUP 0, QoS 2, RETAIN 0 (3.3.1)
    7,            // Remaining Length (2.2.3)
    u16(0x0003),  // topic name length (3.3.2.1)
    "x/y",        // topic name (3.3.2.1)
    u16(0xFFFF),  // packet identifier 65535 (3.3.2.2); empty payload (3.3.3)
});

const std::string puback_vector = wire({
    0x40,         // fixed header: PUBACK, flags 0000 (3.4.1)
    0x02,         // Remaining Length 2 (3.4.1)
    u16(0x0007),  // packet identifier 7 (3.4.2)
});

const std::string pubrec_vector = wire({
    0x50,         // fixed header: PUBREC, flags 0000 (3.5.1)
    0x02,         // Remaining Length 2 (3.5.1)
    u16(0x0100),  // packet identifier 256 (3.5.2)
});

const std::string pubrel_vector = wire({
    0x62,         // fixed header: PUBREL, flags 0010 [MQTT-3.6.1-1]
    0x02,         // Remaining Length 2 (3.6.1)
    u16(0x0100),  // packet identifier 256 (3.6.2)
});

const std::string pubcomp_vector = wire({
    0x70,         // fixed header: PUBCOMP, flags 0000 (3.7.1)
    0x02,         // Remaining Length 2 (3.7.1)
    u16(0x0100),  // packet identifier 256 (3.7.2)
});

const std::string subscribe_vector = wire({
    0x82,         // fixed header: SUBSCRIBE, flags 0010 [MQTT-3.8.1-1]
    14,           // Remaining Length (2.2.3)
    u16(0x000A),  // packet identifier 10 (3.8.2)
    u16(0x0003),  // topic filter length (3.8.3)
    "a/#",        // topic filter (3.8.3)
    0x01,         // requested QoS 1 (3.8.3.1)
    u16(0x0003),  // topic filter length (3.8.3)
    "+/b",        // topic filter (3.8.3)
    0x02,         // requested QoS 2 (3.8.3.1)
});

const std::string suback_vector = wire({
    0x90,         // fixed header: SUBACK, flags 0000 (3.9.1)
    6,            // Remaining Length (2.2.3)
    u16(0x000A),  // packet identifier 10 (3.9.2)
    0x00,         // return code: granted QoS 0 (3.9.3)
    0x01,         // return code: granted QoS 1 (3.9.3)
    0x02,         // return code: granted QoS 2 (3.9.3)
    0x80,         // return code: failure (3.9.3)
});

const std::string unsubscribe_vector = wire({
    0xA2,         // fixed header: UNSUBSCRIBE, flags 0010 [MQTT-3.10.1-1]
    10,           // Remaining Length (2.2.3)
    u16(0x000B),  // packet identifier 11 (3.10.2)
    u16(0x0003),  // topic filter length (3.10.3)
    "a/#",        // topic filter (3.10.3)
    u16(0x0001),  // topic filter length (3.10.3)
    "+",          // topic filter (3.10.3)
});

const std::string unsuback_vector = wire({
    0xB0,         // fixed header: UNSUBACK, flags 0000 (3.11.1)
    0x02,         // Remaining Length 2 (3.11.1)
    u16(0x000B),  // packet identifier 11 (3.11.2)
});

const std::string pingreq_vector = wire({
    0xC0,  // fixed header: PINGREQ, flags 0000 (3.12.1)
    0x00,  // Remaining Length 0 (3.12.1)
});

const std::string pingresp_vector = wire({
    0xD0,  // fixed header: PINGRESP, flags 0000 (3.13.1)
    0x00,  // Remaining Length 0 (3.13.1)
});

const std::string disconnect_vector = wire({
    0xE0,  // fixed header: DISCONNECT, flags 0000 (3.14.1)
    0x00,  // Remaining Length 0 (3.14.1)
});

std::vector<std::string> all_vectors() {
  return {connect_full,   connect_minimal,  connect_mqisdp,   connack_vector,     publish_qos0,
          publish_qos1,   publish_qos2,     puback_vector,    pubrec_vector,      pubrel_vector,
          pubcomp_vector, subscribe_vector, suback_vector,    unsubscribe_vector, unsuback_vector,
          pingreq_vector, pingresp_vector,  disconnect_vector};
}

// ---------------------------------------------------------------- CONNECT

TEST(MqttCodecConnect, DecodesFullConnect) {
  EXPECT_EQ(decode_as<Connect>(connect_full), connect_full_value());
}

TEST(MqttCodecConnect, EncodesFullConnect) {
  EXPECT_EQ(encode(connect_full_value()), connect_full);
}

TEST(MqttCodecConnect, DecodesMinimalConnect) {
  Connect c = decode_as<Connect>(connect_minimal);
  EXPECT_EQ(c.protocol_name, "MQTT");
  EXPECT_EQ(c.protocol_level, 4);
  EXPECT_FALSE(c.clean_session);
  EXPECT_EQ(c.keepalive, 0);
  EXPECT_EQ(c.client_id, "a");
  EXPECT_FALSE(c.will);
  EXPECT_FALSE(c.username);
  EXPECT_FALSE(c.password);
}

TEST(MqttCodecConnect, EncodesMinimalConnect) {
  Connect c;
  c.clean_session = false;
  c.client_id = "a";
  EXPECT_EQ(encode(c), connect_minimal);
}

TEST(MqttCodecConnect, DecodesMqtt31Connect) {
  Connect c = decode_as<Connect>(connect_mqisdp);
  EXPECT_EQ(c.protocol_name, "MQIsdp");
  EXPECT_EQ(c.protocol_level, 3);
  EXPECT_TRUE(c.clean_session);
  EXPECT_EQ(c.keepalive, 10);
  EXPECT_EQ(c.client_id, "old-1");
}

TEST(MqttCodecConnect, EncodesMqtt31Connect) {
  Connect c;
  c.protocol_name = "MQIsdp";
  c.protocol_level = 3;
  c.keepalive = 10;
  c.client_id = "old-1";
  EXPECT_EQ(encode(c), connect_mqisdp);
}

TEST(MqttCodecConnect, EmptyClientIdAccepted) {
  const std::string bytes = wire({
      0x10,         // CONNECT
      12,           // Remaining Length
      u16(0x0004),  // protocol name length
      "MQTT",       // protocol name
      0x04,         // level 4
      0x02,         // clean session (empty id needs it, but that is the broker's call, 3.1.3.1)
      u16(0x0000),  // keep alive
      u16(0x0000),  // client identifier length 0 (3.1.3.1)
  });
  EXPECT_EQ(decode_as<Connect>(bytes).client_id, "");
}

TEST(MqttCodecConnect, PasswordIsBinary) {
  const std::string bytes = wire({
      0x10,                        // CONNECT
      20,                          // Remaining Length
      u16(0x0004),                 // protocol name length
      "MQTT",                      // protocol name
      0x04,                        // level 4
      0xC0,                        // user name + password flags (3.1.2.8, 3.1.2.9)
      u16(0x0000),                 // keep alive
      u16(0x0001),                 // client identifier length
      "c",                         // client identifier
      u16(0x0001),                 // user name length
      "u",                         // user name
      u16(0x0002),                 // password length (3.1.3.5)
      std::string("\x00\xC0", 2),  // password: binary, not UTF-8 (3.1.3.5)
  });
  Connect c = decode_as<Connect>(bytes);
  EXPECT_EQ(c.password, std::string("\x00\xC0", 2));
}

TEST(MqttCodecConnect, Mqtt31PasswordWithoutUserNameTolerated) {
  const std::string bytes = wire({
      0x10,         // CONNECT
      17,           // Remaining Length
      u16(0x0006),  // protocol name length
      "MQIsdp",     // protocol name (3.1)
      0x03,         // level 3: 3.1 did not tie password to user name
      0x40,         // password flag only
      u16(0x0000),  // keep alive
      u16(0x0001),  // client identifier length
      "c",          // client identifier
      u16(0x0000),  // password length 0
  });
  Connect c = decode_as<Connect>(bytes);
  EXPECT_FALSE(c.username);
  EXPECT_EQ(c.password, "");
}

TEST(MqttCodecConnect, UnsupportedLevelDecodedForConnack01) {
  // An MQTT 5.0 CONNECT: the broker must see the level to answer 0x01 [MQTT-3.1.2-2].
  const std::string bytes = wire({
      0x10,         // CONNECT
      14,           // Remaining Length
      u16(0x0004),  // protocol name length
      "MQTT",       // protocol name
      0x05,         // protocol level 5 (not 3.1.1)
      0x02,         // flags: clean start
      u16(0x003C),  // keep alive 60
      0x00,         // 5.0 property length: not 3.1.1 layout, left unread
      u16(0x0001),  // client identifier length
      "c",          // client identifier
  });
  Connect c = decode_as<Connect>(bytes);
  EXPECT_EQ(c.protocol_name, "MQTT");
  EXPECT_EQ(c.protocol_level, 5);
  EXPECT_TRUE(c.clean_session);
  EXPECT_EQ(c.keepalive, 60);
  EXPECT_EQ(c.client_id, "");
}

// ---------------------------------------------------------------- CONNACK

TEST(MqttCodecConnack, Decodes) {
  EXPECT_EQ(decode_as<Connack>(connack_vector), (Connack{true, connack_code::accepted}));
}

TEST(MqttCodecConnack, Encodes) {
  EXPECT_EQ(encode(Connack{true, connack_code::accepted}), connack_vector);
  EXPECT_EQ(encode(Connack{false, connack_code::unacceptable_protocol_version}),
            wire({0x20,     // CONNACK
                  0x02,     // Remaining Length 2
                  0x00,     // no session present (3.2.2.2)
                  0x01}));  // return code 1: unacceptable protocol version (3.2.2.3)
}

// ---------------------------------------------------------------- PUBLISH

TEST(MqttCodecPublish, DecodesQos0) {
  EXPECT_EQ(decode_as<Publish>(publish_qos0), (Publish{false, 0, false, "a/b", 0, "hey!"}));
}

TEST(MqttCodecPublish, EncodesQos0) {
  EXPECT_EQ(encode(Publish{false, 0, false, "a/b", 0, "hey!"}), publish_qos0);
}

TEST(MqttCodecPublish, DecodesQos1WithDupAndRetain) {
  EXPECT_EQ(decode_as<Publish>(publish_qos1),
            (Publish{true, 1, true, "t", 0x1234, std::string("\x00\xFFz", 3)}));
}

TEST(MqttCodecPublish, EncodesQos1WithDupAndRetain) {
  EXPECT_EQ(encode(Publish{true, 1, true, "t", 0x1234, std::string("\x00\xFFz", 3)}), publish_qos1);
}

TEST(MqttCodecPublish, DecodesQos2WithEmptyPayload) {
  EXPECT_EQ(decode_as<Publish>(publish_qos2), (Publish{false, 2, false, "x/y", 65535, ""}));
}

TEST(MqttCodecPublish, EncodesQos2WithEmptyPayload) {
  EXPECT_EQ(encode(Publish{false, 2, false, "x/y", 65535, ""}), publish_qos2);
}

TEST(MqttCodecPublish, SystemTopicAccepted) {
  const std::string bytes = wire({
      0x30,         // PUBLISH QoS 0
      6,            // Remaining Length
      u16(0x0004),  // topic name length
      "$SYS",       // topic name: '$' is allowed in names (4.7.2)
  });
  EXPECT_EQ(decode_as<Publish>(bytes).topic, "$SYS");
}

TEST(MqttCodecPublish, HeaderFastPathMatchesFullEncoding) {
  const Publish p{false, 1, true, "a/b/c", 42, "payload bytes"};
  std::string header =
      encode_publish_header(p.topic, p.qos, p.retain, p.dup, p.packet_id, p.payload.size());
  EXPECT_EQ(header,
            wire({0x33,            // PUBLISH, QoS 1, RETAIN (3.3.1)
                  22,              // Remaining Length covers the payload too (2.2.3)
                  u16(0x0005),     // topic name length (3.3.2.1)
                  "a/b/c",         // topic name
                  u16(0x002A)}));  // packet identifier 42 (3.3.2.2)
  EXPECT_EQ(header + p.payload, encode(p));
}

TEST(MqttCodecPublish, HeaderFastPathQos0HasNoPacketId) {
  EXPECT_EQ(encode_publish_header("a/b", 0, false, false, 0, 4) + "hey!", publish_qos0);
}

TEST(MqttCodecPublish, SetDupFlagMarksResend) {
  std::string header = encode_publish_header("t", 1, false, false, 5, 0);
  set_dup_flag(header);
  EXPECT_EQ(static_cast<uint8_t>(header[0]), 0x3A);  // DUP 1, QoS 1 (3.3.1.1)
  EXPECT_TRUE(decode_as<Publish>(header).dup);
}

// ---------------------------------------------------------------- acks

TEST(MqttCodecAcks, DecodePuback) {
  EXPECT_EQ(decode_as<Puback>(puback_vector).packet_id, 7);
}
TEST(MqttCodecAcks, EncodePuback) {
  EXPECT_EQ(encode(Puback{7}), puback_vector);
}
TEST(MqttCodecAcks, DecodePubrec) {
  EXPECT_EQ(decode_as<Pubrec>(pubrec_vector).packet_id, 256);
}
TEST(MqttCodecAcks, EncodePubrec) {
  EXPECT_EQ(encode(Pubrec{256}), pubrec_vector);
}
TEST(MqttCodecAcks, DecodePubrel) {
  EXPECT_EQ(decode_as<Pubrel>(pubrel_vector).packet_id, 256);
}
TEST(MqttCodecAcks, EncodePubrel) {
  EXPECT_EQ(encode(Pubrel{256}), pubrel_vector);
}
TEST(MqttCodecAcks, DecodePubcomp) {
  EXPECT_EQ(decode_as<Pubcomp>(pubcomp_vector).packet_id, 256);
}
TEST(MqttCodecAcks, EncodePubcomp) {
  EXPECT_EQ(encode(Pubcomp{256}), pubcomp_vector);
}
TEST(MqttCodecAcks, DecodeUnsuback) {
  EXPECT_EQ(decode_as<Unsuback>(unsuback_vector).packet_id, 11);
}
TEST(MqttCodecAcks, EncodeUnsuback) {
  EXPECT_EQ(encode(Unsuback{11}), unsuback_vector);
}

// ---------------------------------------------------------------- SUBSCRIBE family

TEST(MqttCodecSubscribe, DecodesSubscribe) {
  EXPECT_EQ(decode_as<Subscribe>(subscribe_vector), (Subscribe{10, {{"a/#", 1}, {"+/b", 2}}}));
}

TEST(MqttCodecSubscribe, EncodesSubscribe) {
  EXPECT_EQ(encode(Subscribe{10, {{"a/#", 1}, {"+/b", 2}}}), subscribe_vector);
}

TEST(MqttCodecSubscribe, DecodesSuback) {
  EXPECT_EQ(decode_as<Suback>(suback_vector), (Suback{10, {0, 1, 2, suback_failure}}));
}

TEST(MqttCodecSubscribe, EncodesSuback) {
  EXPECT_EQ(encode(Suback{10, {0, 1, 2, suback_failure}}), suback_vector);
}

TEST(MqttCodecSubscribe, DecodesUnsubscribe) {
  EXPECT_EQ(decode_as<Unsubscribe>(unsubscribe_vector), (Unsubscribe{11, {"a/#", "+"}}));
}

TEST(MqttCodecSubscribe, EncodesUnsubscribe) {
  EXPECT_EQ(encode(Unsubscribe{11, {"a/#", "+"}}), unsubscribe_vector);
}

// ---------------------------------------------------------------- PING / DISCONNECT

TEST(MqttCodecEmpty, DecodePingreq) {
  decode_as<Pingreq>(pingreq_vector);
}
TEST(MqttCodecEmpty, EncodePingreq) {
  EXPECT_EQ(encode(Pingreq{}), pingreq_vector);
}
TEST(MqttCodecEmpty, DecodePingresp) {
  decode_as<Pingresp>(pingresp_vector);
}
TEST(MqttCodecEmpty, EncodePingresp) {
  EXPECT_EQ(encode(Pingresp{}), pingresp_vector);
}
TEST(MqttCodecEmpty, DecodeDisconnect) {
  decode_as<Disconnect>(disconnect_vector);
}
TEST(MqttCodecEmpty, EncodeDisconnect) {
  EXPECT_EQ(encode(Disconnect{}), disconnect_vector);
}

// ---------------------------------------------------------------- fixed header rules

TEST(MqttCodecRules, ReservedPacketType0) {
  EXPECT_EQ(error_of(wire({0x00, 0x00})), "bad_packet_type");  // 2.2.1
}

TEST(MqttCodecRules, ReservedPacketType15) {
  EXPECT_EQ(error_of(wire({0xF0, 0x00})), "bad_packet_type");  // 2.2.1
}

TEST(MqttCodecRules, ReservedFlagsMustBeZero) {
  // Every type but PUBLISH, PUBREL, SUBSCRIBE, UNSUBSCRIBE has flags 0000 [MQTT-2.2.2-1].
  for (int type : {1, 2, 4, 5, 7, 9, 11, 12, 13, 14}) {
    for (int flags = 1; flags < 16; ++flags) {
      EXPECT_EQ(error_of(wire({(type << 4) | flags})), "reserved_flags") << type << " " << flags;
    }
  }
}

TEST(MqttCodecRules, PubrelFlagsMustBe0010) {
  EXPECT_EQ(error_of(wire({0x60, 0x02, 0x00, 0x01})), "reserved_flags");  // [MQTT-3.6.1-1]
  EXPECT_EQ(error_of(wire({0x63, 0x02, 0x00, 0x01})), "reserved_flags");
}

TEST(MqttCodecRules, SubscribeFlagsMustBe0010) {
  EXPECT_EQ(error_of(wire({0x80})), "reserved_flags");  // [MQTT-3.8.1-1]
  EXPECT_EQ(error_of(wire({0x8A})), "reserved_flags");
}

TEST(MqttCodecRules, UnsubscribeFlagsMustBe0010) {
  EXPECT_EQ(error_of(wire({0xA0})), "reserved_flags");  // [MQTT-3.10.1-1]
  EXPECT_EQ(error_of(wire({0xA3})), "reserved_flags");
}

TEST(MqttCodecRules, FlagsCheckedFromFirstByteAlone) {
  // No need to wait for the Remaining Length to reject a bad first byte.
  EXPECT_EQ(error_of(wire({0xC1})), "reserved_flags");
}

TEST(MqttCodecRules, PublishQos3Invalid) {
  EXPECT_EQ(error_of(wire({0x36})), "bad_qos");  // [MQTT-3.3.1-4]
}

TEST(MqttCodecRules, PublishDupMustBeZeroAtQos0) {
  EXPECT_EQ(error_of(wire({0x38, 0x03, 0x00, 0x01, "t"})), "bad_dup");  // [MQTT-3.3.1-2]
}

TEST(MqttCodecRules, RemainingLengthAtMostFourBytes) {
  // The fourth byte's continuation bit is an error at once, before a fifth arrives (2.2.3).
  EXPECT_EQ(error_of(wire({0x30, 0xFF, 0xFF, 0xFF, 0x80})), "bad_remaining_length");
  EXPECT_EQ(error_of(wire({0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01})), "bad_remaining_length");
}

TEST(MqttCodecRules, FixedLengthPacketWithWrongRemainingLength) {
  EXPECT_EQ(error_of(wire({0x40, 0x03, 0x00, 0x01, 0x00})), "malformed");  // PUBACK is 2 (3.4.1)
  EXPECT_EQ(error_of(wire({0xC0, 0x01, 0x00})), "malformed");              // PINGREQ is 0 (3.12.1)
  EXPECT_EQ(error_of(wire({0x20, 0x01})), "malformed");  // CONNACK is 2, said early
}

TEST(MqttCodecRules, TrailingBytesInsideRemainingLength) {
  const std::string bytes = wire({
      0x10,         // CONNECT
      14,           // Remaining Length: one byte more than the fields (2.2.3)
      u16(0x0004),  // protocol name length
      "MQTT",       // protocol name
      0x04,         // level 4
      0x02,         // clean session
      u16(0x0000),  // keep alive
      u16(0x0001),  // client identifier length
      "a",          // client identifier
      0x00,         // stray byte
  });
  EXPECT_EQ(error_of(bytes), "malformed");
}

TEST(MqttCodecRules, FieldLongerThanRemainingLength) {
  const std::string bytes = wire({
      0x30,         // PUBLISH QoS 0
      4,            // Remaining Length
      u16(0x0005),  // topic name length 5: past the end of the packet
      "ab",         // topic name, cut short
  });
  EXPECT_EQ(error_of(bytes), "malformed");
}

// ---------------------------------------------------------------- PUBLISH rules

TEST(MqttCodecRules, PublishTopicMustBeUtf8) {
  EXPECT_EQ(error_of(wire({0x30, 0x04, 0x00, 0x02, 0xC3, 0x28})), "bad_utf8");  // [MQTT-1.5.3-1]
}

TEST(MqttCodecRules, PublishTopicMustNotContainNull) {
  EXPECT_EQ(error_of(wire({0x30, 0x04, 0x00, 0x02, "a", 0x00})), "bad_utf8");  // [MQTT-1.5.3-2]
}

TEST(MqttCodecRules, PublishTopicMustNotContainSurrogate) {
  // U+D800 encoded as ED A0 80 [MQTT-1.5.3-1]
  EXPECT_EQ(error_of(wire({0x30, 0x05, 0x00, 0x03, 0xED, 0xA0, 0x80})), "bad_utf8");
}

TEST(MqttCodecRules, PublishTopicWithoutWildcards) {
  EXPECT_EQ(error_of(wire({0x30, 0x05, 0x00, 0x03, "a/+"})),
            "wildcard_in_topic");  // [MQTT-3.3.2-2]
  EXPECT_EQ(error_of(wire({0x30, 0x03, 0x00, 0x01, "#"})), "wildcard_in_topic");
}

TEST(MqttCodecRules, PublishTopicNotEmpty) {
  EXPECT_EQ(error_of(wire({0x30, 0x02, 0x00, 0x00})), "empty_topic");  // [MQTT-4.7.3-1]
}

TEST(MqttCodecRules, PublishPayloadIsNotChecked) {
  // The payload is application data: invalid UTF-8 and NUL are fine (3.3.3).
  Publish p = decode_as<Publish>(wire({0x30, 0x05, 0x00, 0x01, "t", 0x00, 0xFF}));
  EXPECT_EQ(p.payload, std::string("\x00\xFF", 2));
}

TEST(MqttCodecRules, PublishQos1PacketIdNonZero) {
  EXPECT_EQ(error_of(wire({0x32, 0x05, 0x00, 0x01, "t", 0x00, 0x00})),
            "packet_id_zero");  // [MQTT-2.3.1-1]
}

TEST(MqttCodecRules, PublishQos2PacketIdNonZero) {
  EXPECT_EQ(error_of(wire({0x34, 0x05, 0x00, 0x01, "t", 0x00, 0x00})),
            "packet_id_zero");  // [MQTT-2.3.1-1]
}

TEST(MqttCodecRules, PublishQos1PacketIdMissing) {
  EXPECT_EQ(error_of(wire({0x32, 0x03, 0x00, 0x01, "t"})), "malformed");  // 3.3.2.2
}

// ---------------------------------------------------------------- ack rules

TEST(MqttCodecRules, AckPacketIdNonZero) {
  for (int first : {0x40, 0x50, 0x62, 0x70, 0xB0}) {  // PUBACK PUBREC PUBREL PUBCOMP UNSUBACK
    EXPECT_EQ(error_of(wire({first, 0x02, 0x00, 0x00})), "packet_id_zero") << first;
  }
  EXPECT_EQ(error_of(wire({0x90, 0x03, 0x00, 0x00, 0x00})), "packet_id_zero");  // SUBACK
}

TEST(MqttCodecRules, ConnackReservedFlagsZero) {
  EXPECT_EQ(error_of(wire({0x20, 0x02, 0x02, 0x00})), "bad_connack_flags");  // 3.2.2.1
}

TEST(MqttCodecRules, ConnackReturnCodeReserved) {
  EXPECT_EQ(error_of(wire({0x20, 0x02, 0x00, 0x06})), "bad_return_code");  // 3.2.2.3
}

TEST(MqttCodecRules, SubackReturnCodeReserved) {
  EXPECT_EQ(error_of(wire({0x90, 0x03, 0x00, 0x01, 0x03})), "bad_return_code");  // [MQTT-3.9.3-2]
  EXPECT_EQ(error_of(wire({0x90, 0x03, 0x00, 0x01, 0x81})), "bad_return_code");
}

TEST(MqttCodecRules, SubackNeedsReturnCodes) {
  EXPECT_EQ(error_of(wire({0x90, 0x02, 0x00, 0x01})), "malformed");  // 3.9.3
}

// ---------------------------------------------------------------- SUBSCRIBE rules

TEST(MqttCodecRules, SubscribePacketIdNonZero) {
  EXPECT_EQ(error_of(wire({0x82, 0x06, 0x00, 0x00, 0x00, 0x01, "a", 0x00})),
            "packet_id_zero");  // [MQTT-2.3.1-1]
}

TEST(MqttCodecRules, SubscribeNeedsOneTopic) {
  EXPECT_EQ(error_of(wire({0x82, 0x02, 0x00, 0x01})), "empty_subscription");  // [MQTT-3.8.3-3]
}

TEST(MqttCodecRules, SubscribeRequestedQosReservedBits) {
  EXPECT_EQ(error_of(wire({0x82, 0x06, 0x00, 0x01, 0x00, 0x01, "a", 0x04})),
            "bad_qos");  // [MQTT-3-8.3-4]
  EXPECT_EQ(error_of(wire({0x82, 0x06, 0x00, 0x01, 0x00, 0x01, "a", 0x81})), "bad_qos");
}

TEST(MqttCodecRules, SubscribeRequestedQos3) {
  EXPECT_EQ(error_of(wire({0x82, 0x06, 0x00, 0x01, 0x00, 0x01, "a", 0x03})),
            "bad_qos");  // [MQTT-3-8.3-4]
}

TEST(MqttCodecRules, SubscribeQosByteMissing) {
  EXPECT_EQ(error_of(wire({0x82, 0x05, 0x00, 0x01, 0x00, 0x01, "a"})), "malformed");  // 3.8.3
}

TEST(MqttCodecRules, SubscribeFilterMultiLevelWildcardLast) {
  EXPECT_EQ(error_of(wire({0x82, 0x0A, 0x00, 0x01, 0x00, 0x05, "a/#/b", 0x00})),
            "bad_multi_level_wildcard");  // [MQTT-4.7.1-2]
}

TEST(MqttCodecRules, SubscribeFilterSingleLevelWildcardWholeLevel) {
  EXPECT_EQ(error_of(wire({0x82, 0x07, 0x00, 0x01, 0x00, 0x02, "a+", 0x00})),
            "bad_single_level_wildcard");  // [MQTT-4.7.1-3]
}

TEST(MqttCodecRules, SubscribeFilterNotEmpty) {
  EXPECT_EQ(error_of(wire({0x82, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00})),
            "empty_filter");  // [MQTT-4.7.3-1]
}

TEST(MqttCodecRules, SubscribeFilterMustBeUtf8) {
  EXPECT_EQ(error_of(wire({0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 0xFF, 0x00})),
            "bad_utf8");  // [MQTT-3.8.3-1]
}

TEST(MqttCodecRules, UnsubscribePacketIdNonZero) {
  EXPECT_EQ(error_of(wire({0xA2, 0x05, 0x00, 0x00, 0x00, 0x01, "a"})),
            "packet_id_zero");  // [MQTT-2.3.1-1]
}

TEST(MqttCodecRules, UnsubscribeNeedsOneFilter) {
  EXPECT_EQ(error_of(wire({0xA2, 0x02, 0x00, 0x01})), "empty_subscription");  // [MQTT-3.10.3-2]
}

TEST(MqttCodecRules, UnsubscribeFilterValidated) {
  const std::string bytes = wire({
      0xA2,         // UNSUBSCRIBE
      11,           // Remaining Length
      u16(0x000B),  // packet identifier 11
      u16(0x0003),  // topic filter length
      "a/#",        // topic filter: valid
      u16(0x0002),  // topic filter length
      "c+",         // topic filter: '+' not a whole level (4.7.1.3)
  });
  EXPECT_EQ(error_of(bytes), "bad_single_level_wildcard");  // [MQTT-3.10.3-1]
  EXPECT_EQ(error_of(wire({0xA2, 0x05, 0x00, 0x01, 0x00, 0x01, 0x00})), "bad_utf8");
}

TEST(MqttCodecRules, UnsubscribeFilterTruncated) {
  EXPECT_EQ(error_of(wire({0xA2, 0x05, 0x00, 0x01, 0x00, 0x05, "a"})), "malformed");
}

// ---------------------------------------------------------------- CONNECT rules

// A CONNECT with the given protocol name, level, flags and payload.
std::string connect_with(std::string_view name, int level, int flags, const std::string& payload) {
  std::string body =
      wire({0x00, static_cast<int>(name.size()), std::string(name), level, flags, 0x00, 0x00});
  body += payload;
  return wire({0x10, static_cast<int>(body.size())}) + body;
}

const std::string client_a = wire({0x00, 0x01, "a"});

TEST(MqttCodecRules, ConnectProtocolNameMqttOrMqisdp) {
  EXPECT_EQ(error_of(connect_with("MQTX", 4, 0x02, client_a)), "bad_protocol_name");
  EXPECT_EQ(error_of(connect_with("mqtt", 4, 0x02, client_a)), "bad_protocol_name");
}

TEST(MqttCodecRules, ConnectReservedFlagZero) {
  EXPECT_EQ(error_of(connect_with("MQTT", 4, 0x03, client_a)),
            "bad_connect_flags");  // [MQTT-3.1.2-3]
}

TEST(MqttCodecRules, ConnectWillQosZeroWithoutWill) {
  EXPECT_EQ(error_of(connect_with("MQTT", 4, 0x0A, client_a)),
            "bad_connect_flags");  // [MQTT-3.1.2-11]
}

TEST(MqttCodecRules, ConnectWillRetainZeroWithoutWill) {
  EXPECT_EQ(error_of(connect_with("MQTT", 4, 0x22, client_a)),
            "bad_connect_flags");  // [MQTT-3.1.2-13]
}

TEST(MqttCodecRules, ConnectWillQos3Invalid) {
  EXPECT_EQ(error_of(connect_with("MQTT", 4, 0x1E, client_a + wire({0, 1, "t", 0, 0}))),
            "bad_qos");  // [MQTT-3.1.2-12]
}

TEST(MqttCodecRules, ConnectPasswordNeedsUserName) {
  EXPECT_EQ(error_of(connect_with("MQTT", 4, 0x42, client_a + wire({0, 0}))),
            "bad_connect_flags");  // [MQTT-3.1.2-22]
}

TEST(MqttCodecRules, ConnectClientIdMustBeUtf8) {
  EXPECT_EQ(error_of(connect_with("MQTT", 4, 0x02, wire({0x00, 0x01, 0x80}))),
            "bad_utf8");  // [MQTT-3.1.3-4]
}

TEST(MqttCodecRules, ConnectUserNameMustBeUtf8) {
  EXPECT_EQ(error_of(connect_with("MQTT", 4, 0x82, client_a + wire({0x00, 0x01, 0x00}))),
            "bad_utf8");  // [MQTT-3.1.3-11]
}

TEST(MqttCodecRules, ConnectWillTopicIsATopicName) {
  EXPECT_EQ(error_of(connect_with("MQTT", 4, 0x06, client_a + wire({0, 1, "#", 0, 0}))),
            "wildcard_in_topic");  // [MQTT-3.1.3-10], 4.7.1
}

TEST(MqttCodecRules, ConnectFlaggedFieldMissing) {
  // User name flag set but the payload ends after the client id [MQTT-3.1.2-17].
  EXPECT_EQ(error_of(connect_with("MQTT", 4, 0x82, client_a)), "malformed");
}

TEST(MqttCodecRules, ConnectVariableHeaderTruncated) {
  EXPECT_EQ(error_of(wire({0x10, 0x07, 0x00, 0x04, "MQTT", 0x04})), "malformed");  // 3.1.2
}

TEST(MqttCodecRules, ConnectClientIdMissing) {
  EXPECT_EQ(error_of(connect_with("MQTT", 4, 0x02, "")), "malformed");  // [MQTT-3.1.3-3]
}

// ---------------------------------------------------------------- size limits

TEST(MqttCodecLimits, PacketTooLargeRejectedBeforeBodyArrives) {
  // Header of a 200-byte PUBLISH (1 + 2 + 197) against a 100-byte limit: the body never came.
  EXPECT_EQ(error_of(wire({0x30, 0xC5, 0x01}), 100), "packet_too_large");
  // One byte of the Remaining Length is not enough to judge.
  EXPECT_EQ(error_of(wire({0x30, 0xC5}), 100), "<incomplete>");
}

TEST(MqttCodecLimits, LimitCountsTheWholePacket) {
  // publish_qos0 is 11 bytes on the wire.
  EXPECT_EQ(error_of(publish_qos0, 11), "<packet>");
  EXPECT_EQ(error_of(publish_qos0, 10), "packet_too_large");
}

TEST(MqttCodecLimits, ZeroMeansNoLimit) {
  // The largest legal header says 268435455 more bytes follow: incomplete, not an error.
  EXPECT_EQ(error_of(wire({0x30, 0xFF, 0xFF, 0xFF, 0x7F}), 0), "<incomplete>");
}

// Remaining Length boundaries of 2.2.3: value, encoding.
struct LengthCase {
  std::size_t value;
  std::string bytes;
};

const std::vector<LengthCase> length_cases = {
    {0, wire({0x00})},
    {127, wire({0x7F})},
    {128, wire({0x80, 0x01})},
    {16383, wire({0xFF, 0x7F})},
    {16384, wire({0x80, 0x80, 0x01})},
    {2097151, wire({0xFF, 0xFF, 0x7F})},
    {2097152, wire({0x80, 0x80, 0x80, 0x01})},
    {268435455, wire({0xFF, 0xFF, 0xFF, 0x7F})},
};

TEST(MqttCodecLimits, RemainingLengthEncodingBoundaries) {
  for (const auto& c : length_cases) {
    EXPECT_EQ(encoded_remaining_length(c.value), c.bytes) << c.value;
    EXPECT_EQ(remaining_length_size(c.value), c.bytes.size()) << c.value;
  }
}

TEST(MqttCodecLimits, RemainingLengthDecodingBoundaries) {
  // The limit check reveals the decoded length without sending the body.
  for (const auto& c : length_cases) {
    const std::string header = wire({0x30}) + c.bytes;
    const std::size_t total = header.size() + c.value;
    EXPECT_EQ(error_of(header, total - 1), "packet_too_large") << c.value;
    if (c.value > 0) {
      EXPECT_EQ(error_of(header, total), "<incomplete>") << c.value;
    }
  }
}

TEST(MqttCodecLimits, RemainingLengthBoundaryPacketsRoundTrip) {
  // Whole PINGREQ (0) and PUBLISH packets whose Remaining Length sits on each boundary.
  EXPECT_EQ(decode(pingreq_vector, 0).consumed, 2u);
  for (std::size_t value : {127u, 128u, 16383u, 16384u, 2097151u, 2097152u}) {
    Publish p{false, 0, false, "t", 0, std::string(value - 3, 'x')};  // 3 = topic length + "t"
    const std::string bytes = encode(p);
    ASSERT_EQ(bytes.size(), 1 + remaining_length_size(value) + value);
    EXPECT_EQ(bytes.substr(1, remaining_length_size(value)), encoded_remaining_length(value));
    DecodeResult r = decode(bytes, 0);
    ASSERT_TRUE(r.is_packet()) << value;
    EXPECT_EQ(r.consumed, bytes.size());
    EXPECT_EQ(std::get<Publish>(r.packet), p);
  }
}

TEST(MqttCodecLimits, NonMinimalRemainingLengthAccepted) {
  // 3.1.1 does not demand the shortest form (5.0 does): 0x80 0x00 is zero.
  decode_as<Pingreq>(wire({0xC0, 0x80, 0x00}));
}

// ---------------------------------------------------------------- streaming

TEST(MqttCodecStream, EmptyBufferIsIncomplete) {
  EXPECT_TRUE(decode("", kMax).is_incomplete());
}

TEST(MqttCodecStream, EveryPrefixIsIncomplete) {
  for (const auto& v : all_vectors()) {
    for (std::size_t n = 0; n < v.size(); ++n) {
      EXPECT_TRUE(decode(std::string_view(v).substr(0, n), kMax).is_incomplete())
          << "vector of " << v.size() << " bytes, prefix " << n;
    }
    EXPECT_TRUE(decode(v, kMax).is_packet());
  }
}

TEST(MqttCodecStream, ByteByByteThroughDecoder) {
  for (const auto& v : all_vectors()) {
    Decoder d(kMax);
    for (std::size_t i = 0; i < v.size(); ++i) {
      d.feed(std::string_view(&v[i], 1));
      DecodeResult r = d.next();
      if (i + 1 < v.size()) {
        EXPECT_TRUE(r.is_incomplete()) << i;
      } else {
        ASSERT_TRUE(r.is_packet());
        EXPECT_EQ(r.consumed, v.size());
        EXPECT_EQ(r.packet, decode(v, kMax).packet);
      }
    }
    EXPECT_EQ(d.buffered(), 0u);
  }
}

TEST(MqttCodecStream, SeveralPacketsInOneBuffer) {
  std::string stream;
  for (const auto& v : all_vectors()) stream += v;
  std::size_t pos = 0;
  for (const auto& v : all_vectors()) {
    DecodeResult r = decode(std::string_view(stream).substr(pos), kMax);
    ASSERT_TRUE(r.is_packet());
    EXPECT_EQ(r.consumed, v.size());
    EXPECT_EQ(r.packet, decode(v, kMax).packet);
    pos += r.consumed;
  }
  EXPECT_EQ(pos, stream.size());
}

TEST(MqttCodecStream, DecoderSplitsChunksAcrossPackets) {
  std::string stream;
  for (const auto& v : all_vectors()) stream += v;
  Decoder d(kMax);
  std::vector<Packet> seen;
  for (std::size_t i = 0; i < stream.size(); i += 5) {
    d.feed(std::string_view(stream).substr(i, 5));
    for (DecodeResult r = d.next(); r.is_packet(); r = d.next()) seen.push_back(r.packet);
  }
  ASSERT_EQ(seen.size(), all_vectors().size());
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i], decode(all_vectors()[i], kMax).packet) << i;
  }
}

TEST(MqttCodecStream, DecoderPrepareCommit) {
  Decoder d(kMax);
  char* p = d.prepare(64);
  std::copy(publish_qos0.begin(), publish_qos0.end(), p);
  d.commit(publish_qos0.size());
  DecodeResult r = d.next();
  ASSERT_TRUE(r.is_packet());
  EXPECT_EQ(std::get<Publish>(r.packet).payload, "hey!");
  EXPECT_TRUE(d.next().is_incomplete());
}

TEST(MqttCodecStream, DecoderShrinkKeepsBufferedBytes) {
  Decoder d(kMax);
  d.feed(publish_qos0.substr(0, 5));
  d.shrink_to(0);  // a partial packet is buffered: nothing is given back
  d.feed(publish_qos0.substr(5));
  DecodeResult r = d.next();
  ASSERT_TRUE(r.is_packet());
  EXPECT_EQ(std::get<Publish>(r.packet).payload, "hey!");
  d.shrink_to(0);  // empty now: the buffer goes, and the decoder still works
  EXPECT_EQ(d.buffered(), 0u);
  d.feed(publish_qos0);
  ASSERT_TRUE(d.next().is_packet());
}

TEST(MqttCodecStream, DecoderReportsErrors) {
  Decoder d(10);
  d.feed(wire({0x30, 0x7F}));
  EXPECT_EQ(d.next().error.code, "packet_too_large");
}

// ---------------------------------------------------------------- round trips

TEST(MqttCodecRoundTrip, EveryPacketType) {
  Connect anonymous;
  anonymous.client_id = "dev-1";
  Connect with_will = connect_full_value();
  with_will.username.reset();
  with_will.password.reset();
  with_will.will = Will{"dev/1/status", std::string("off\0line", 8), 2, false};
  const std::vector<Packet> packets = {
      anonymous,
      with_will,
      connect_full_value(),
      Connack{false, connack_code::not_authorized},
      Publish{false, 0, true, "dev/1/messages/json", 0, R"({"t":23.2})"},
      Publish{true, 2, false, "a/b", 9, std::string(300, 'p')},
      Puback{1},
      Pubrec{2},
      Pubrel{3},
      Pubcomp{4},
      Subscribe{5, {{"#", 0}, {"$SYS/#", 1}, {"a/+/c", 2}}},
      Suback{5, {0, suback_failure, 2}},
      Unsubscribe{6, {"#", "a/+/c"}},
      Unsuback{6},
      Pingreq{},
      Pingresp{},
      Disconnect{},
  };
  for (const auto& p : packets) {
    const std::string bytes = encode(p);
    DecodeResult r = decode(bytes, kMax);
    ASSERT_TRUE(r.is_packet()) << packet_type_name(packet_type(p)) << ": " << r.error.code;
    EXPECT_EQ(r.consumed, bytes.size());
    EXPECT_EQ(r.packet, p) << packet_type_name(packet_type(p));
  }
}

TEST(MqttCodecRoundTrip, EncodeToAppends) {
  std::string out = "x";
  encode_to(Pingreq{}, out);
  encode_to(Puback{7}, out);
  EXPECT_EQ(out, "x" + pingreq_vector + puback_vector);
}

TEST(MqttCodecRoundTrip, PacketTypeMatchesVariant) {
  EXPECT_EQ(packet_type(Packet{Connect{}}), PacketType::connect);
  EXPECT_EQ(packet_type(Packet{Publish{}}), PacketType::publish);
  EXPECT_EQ(packet_type(Packet{Disconnect{}}), PacketType::disconnect);
  EXPECT_EQ(packet_type_name(PacketType::unsuback), "UNSUBACK");
  // The first byte's type nibble agrees with packet_type() for every vector.
  for (const auto& v : all_vectors()) {
    EXPECT_EQ(static_cast<int>(packet_type(decode(v, kMax).packet)),
              static_cast<uint8_t>(v[0]) >> 4);
  }
}

}  // namespace
}  // namespace trellis::mqtt
