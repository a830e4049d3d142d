// Byte-exact vectors for every MQTT-SN 1.2 message, the two Length forms, the
// flags octet, and one test per malformed-input rule. Clause numbers refer to
// the MQTT-SN Protocol Specification Version 1.2.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <variant>
#include <vector>

#include "adapters/mqttsn/codec.hpp"

namespace trellis::mqttsn {
namespace {

std::string bytes(std::initializer_list<int> octets) {
  std::string out;
  for (int b : octets) out.push_back(static_cast<char>(b));
  return out;
}

template <typename T>
T decoded_as(const std::string& datagram) {
  auto r = decode(datagram);
  if (!r) {
    ADD_FAILURE() << "decode failed: " << r.error().code << ": " << r.error().message;
    return T{};
  }
  if (!std::holds_alternative<T>(*r)) {
    ADD_FAILURE() << "decoded as " << name(type_of(*r));
    return T{};
  }
  return std::get<T>(*r);
}

std::string error_of(const std::string& datagram) {
  auto r = decode(datagram);
  return r ? std::string("ok: ") + std::string(name(type_of(*r))) : r.error().code;
}

// ---------------------------------------------------------------- ADVERTISE

const std::string kAdvertise = bytes({
    0x05,        // Length: 5 (5.2.1)
    0x00,        // MsgType: ADVERTISE (5.2.2, 5.4.1)
    0x2A,        // GwId: 42 (5.3.6)
    0x03, 0x84,  // Duration: 900 s (5.3.3)
});
const Advertise kAdvertiseValue{.gw_id = 42, .duration = 900};

TEST(Advertise, Decodes) {
  EXPECT_EQ(decoded_as<Advertise>(kAdvertise), kAdvertiseValue);
}
TEST(Advertise, Encodes) {
  EXPECT_EQ(encode(kAdvertiseValue), kAdvertise);
}

// ----------------------------------------------------------------- SEARCHGW

const std::string kSearchGw = bytes({
    0x03,  // Length: 3 (5.2.1)
    0x01,  // MsgType: SEARCHGW (5.2.2, 5.4.2)
    0x02,  // Radius: 2 hops (5.3.9)
});
const SearchGw kSearchGwValue{.radius = 2};

TEST(SearchGw, Decodes) {
  EXPECT_EQ(decoded_as<SearchGw>(kSearchGw), kSearchGwValue);
}
TEST(SearchGw, Encodes) {
  EXPECT_EQ(encode(kSearchGwValue), kSearchGw);
}

// ------------------------------------------------------------------- GWINFO

const std::string kGwInfoFromGateway = bytes({
    0x03,  // Length: 3 (5.2.1)
    0x02,  // MsgType: GWINFO (5.2.2, 5.4.3)
    0x01,  // GwId: 1 (5.3.6); no GwAdd when a gateway answers (5.4.3)
});
const GwInfo kGwInfoFromGatewayValue{.gw_id = 1, .gw_add = ""};

const std::string kGwInfoFromClient = bytes({
    0x07,                    // Length: 7 (5.2.1)
    0x02,                    // MsgType: GWINFO (5.2.2, 5.4.3)
    0x01,                    // GwId: 1 (5.3.6)
    0xC0, 0xA8, 0x01, 0x05,  // GwAdd: 4 octets (5.3.5)
});
const GwInfo kGwInfoFromClientValue{.gw_id = 1, .gw_add = bytes({0xC0, 0xA8, 0x01, 0x05})};

TEST(GwInfo, DecodesWithoutGwAdd) {
  EXPECT_EQ(decoded_as<GwInfo>(kGwInfoFromGateway), kGwInfoFromGatewayValue);
}
TEST(GwInfo, EncodesWithoutGwAdd) {
  EXPECT_EQ(encode(kGwInfoFromGatewayValue), kGwInfoFromGateway);
}
TEST(GwInfo, DecodesWithGwAdd) {
  EXPECT_EQ(decoded_as<GwInfo>(kGwInfoFromClient), kGwInfoFromClientValue);
}
TEST(GwInfo, EncodesWithGwAdd) {
  EXPECT_EQ(encode(kGwInfoFromClientValue), kGwInfoFromClient);
}

// ------------------------------------------------------------------ CONNECT

const std::string kConnect = bytes({
    0x0A,                // Length: 10 (5.2.1)
    0x04,                // MsgType: CONNECT (5.2.2, 5.4.4)
    0x0C,                // Flags: Will, CleanSession (5.3.4)
    0x01,                // ProtocolId: 0x01 (5.3.8)
    0x00, 0x3C,          // Duration: 60 s keep-alive (5.3.3)
    'd', 'e', 'v', '1',  // ClientId: "dev1" (5.3.1)
});
const Connect kConnectValue{
    .will = true, .clean_session = true, .duration = 60, .client_id = "dev1"};

TEST(Connect, Decodes) {
  EXPECT_EQ(decoded_as<Connect>(kConnect), kConnectValue);
}
TEST(Connect, Encodes) {
  EXPECT_EQ(encode(kConnectValue), kConnect);
}

TEST(Connect, DecodesWithoutWillOrCleanSession) {
  const auto m = decoded_as<Connect>(bytes({
      0x07,        // Length: 7 (5.2.1)
      0x04,        // MsgType: CONNECT (5.2.2)
      0x00,        // Flags: none (5.3.4)
      0x01,        // ProtocolId (5.3.8)
      0xFF, 0xFF,  // Duration: 65535 s (5.3.3)
      'c',         // ClientId: "c" (5.3.1)
  }));
  EXPECT_FALSE(m.will);
  EXPECT_FALSE(m.clean_session);
  EXPECT_EQ(m.duration, 65535);
  EXPECT_EQ(m.client_id, "c");
}

TEST(Connect, IgnoresFlagBitsItDoesNotUse) {
  // DUP, QoS, Retain and TopicIdType are "not used" in CONNECT (5.4.4), even
  // the reserved TopicIdType 11.
  const auto m = decoded_as<Connect>(bytes({
      0x07,        // Length: 7 (5.2.1)
      0x04,        // MsgType: CONNECT (5.2.2)
      0xF7,        // Flags: DUP, QoS -1, Retain, CleanSession, TopicIdType 11 (5.3.4)
      0x01,        // ProtocolId (5.3.8)
      0x00, 0x0A,  // Duration: 10 s (5.3.3)
      'c',         // ClientId (5.3.1)
  }));
  EXPECT_FALSE(m.will);
  EXPECT_TRUE(m.clean_session);
  EXPECT_EQ(encode(m)[2], '\x04');
}

// ------------------------------------------------------------------ CONNACK

const std::string kConnack = bytes({
    0x03,  // Length: 3 (5.2.1)
    0x05,  // MsgType: CONNACK (5.2.2, 5.4.5)
    0x01,  // ReturnCode: rejected, congestion (5.3.10)
});
const Connack kConnackValue{.return_code = ReturnCode::congestion};

TEST(Connack, Decodes) {
  EXPECT_EQ(decoded_as<Connack>(kConnack), kConnackValue);
}
TEST(Connack, Encodes) {
  EXPECT_EQ(encode(kConnackValue), kConnack);
}

TEST(ReturnCodes, HaveTheSpecValues) {
  // 5.3.10, table 5
  EXPECT_EQ(static_cast<int>(ReturnCode::accepted), 0x00);
  EXPECT_EQ(static_cast<int>(ReturnCode::congestion), 0x01);
  EXPECT_EQ(static_cast<int>(ReturnCode::invalid_topic_id), 0x02);
  EXPECT_EQ(static_cast<int>(ReturnCode::not_supported), 0x03);
  for (int rc = 0; rc <= 3; ++rc) {
    EXPECT_EQ(decoded_as<Connack>(bytes({0x03, 0x05, rc})).return_code,
              static_cast<ReturnCode>(rc));
  }
}

// ------------------------------------------------------------- WILLTOPICREQ

const std::string kWillTopicReq = bytes({
    0x02,  // Length: 2 (5.2.1)
    0x06,  // MsgType: WILLTOPICREQ (5.2.2, 5.4.6)
});

TEST(WillTopicReq, Decodes) {
  EXPECT_EQ(decoded_as<WillTopicReq>(kWillTopicReq), WillTopicReq{});
}
TEST(WillTopicReq, Encodes) {
  EXPECT_EQ(encode(WillTopicReq{}), kWillTopicReq);
}

// ---------------------------------------------------------------- WILLTOPIC

const std::string kWillTopic = bytes({
    0x06,           // Length: 6 (5.2.1)
    0x07,           // MsgType: WILLTOPIC (5.2.2, 5.4.7)
    0x30,           // Flags: QoS 1, Retain (5.3.4)
    'w', '/', 't',  // WillTopic: "w/t" (5.3.14)
});
const WillTopic kWillTopicValue{.qos = 1, .retain = true, .will_topic = "w/t"};

TEST(WillTopic, Decodes) {
  EXPECT_EQ(decoded_as<WillTopic>(kWillTopic), kWillTopicValue);
}
TEST(WillTopic, Encodes) {
  EXPECT_EQ(encode(kWillTopicValue), kWillTopic);
}

const std::string kEmptyWillTopic = bytes({
    0x02,  // Length: 2, no Flags and no WillTopic: delete the will (5.2.1, 5.4.7)
    0x07,  // MsgType: WILLTOPIC (5.2.2)
});

TEST(WillTopic, DecodesTheEmptyForm) {
  EXPECT_EQ(decoded_as<WillTopic>(kEmptyWillTopic), WillTopic{});
}
TEST(WillTopic, EncodesTheEmptyForm) {
  // qos and retain have no place in the empty form.
  EXPECT_EQ(encode(WillTopic{.qos = 2, .retain = true, .will_topic = ""}), kEmptyWillTopic);
}

TEST(WillTopic, DecodesQos2WithoutRetain) {
  const auto m = decoded_as<WillTopic>(bytes({
      0x04,  // Length: 4 (5.2.1)
      0x07,  // MsgType: WILLTOPIC (5.2.2)
      0x40,  // Flags: QoS 2 (5.3.4)
      'x',   // WillTopic (5.3.14)
  }));
  EXPECT_EQ(m.qos, 2);
  EXPECT_FALSE(m.retain);
}

// --------------------------------------------------------------- WILLMSGREQ

const std::string kWillMsgReq = bytes({
    0x02,  // Length: 2 (5.2.1)
    0x08,  // MsgType: WILLMSGREQ (5.2.2, 5.4.8)
});

TEST(WillMsgReq, Decodes) {
  EXPECT_EQ(decoded_as<WillMsgReq>(kWillMsgReq), WillMsgReq{});
}
TEST(WillMsgReq, Encodes) {
  EXPECT_EQ(encode(WillMsgReq{}), kWillMsgReq);
}

// ------------------------------------------------------------------ WILLMSG

const std::string kWillMsg = bytes({
    0x05,           // Length: 5 (5.2.1)
    0x09,           // MsgType: WILLMSG (5.2.2, 5.4.9)
    'b', 'y', 'e',  // WillMsg: "bye" (5.3.13)
});
const WillMsg kWillMsgValue{.will_msg = "bye"};

TEST(WillMsg, Decodes) {
  EXPECT_EQ(decoded_as<WillMsg>(kWillMsg), kWillMsgValue);
}
TEST(WillMsg, Encodes) {
  EXPECT_EQ(encode(kWillMsgValue), kWillMsg);
}

// ----------------------------------------------------------------- REGISTER

const std::string kRegisterFromClient = bytes({
    0x09,           // Length: 9 (5.2.1)
    0x0A,           // MsgType: REGISTER (5.2.2, 5.4.10)
    0x00, 0x00,     // TopicId: 0x0000 when a client sends it (5.3.11, 5.4.10)
    0x00, 0x01,     // MsgId: 1 (5.3.7)
    'a', '/', 'b',  // TopicName: "a/b" (5.3.12)
});
const Register kRegisterFromClientValue{.topic_id = 0, .msg_id = 1, .topic_name = "a/b"};

const std::string kRegisterFromGateway = bytes({
    0x09,           // Length: 9 (5.2.1)
    0x0A,           // MsgType: REGISTER (5.2.2, 5.4.10)
    0x01, 0x07,     // TopicId: 263 (5.3.11)
    0xBE, 0xEF,     // MsgId: 0xBEEF (5.3.7)
    'a', '/', 'b',  // TopicName: "a/b" (5.3.12)
});
const Register kRegisterFromGatewayValue{.topic_id = 263, .msg_id = 0xBEEF, .topic_name = "a/b"};

TEST(Register, DecodesFromClient) {
  EXPECT_EQ(decoded_as<Register>(kRegisterFromClient), kRegisterFromClientValue);
}
TEST(Register, EncodesFromClient) {
  EXPECT_EQ(encode(kRegisterFromClientValue), kRegisterFromClient);
}
TEST(Register, DecodesFromGateway) {
  EXPECT_EQ(decoded_as<Register>(kRegisterFromGateway), kRegisterFromGatewayValue);
}
TEST(Register, EncodesFromGateway) {
  EXPECT_EQ(encode(kRegisterFromGatewayValue), kRegisterFromGateway);
}

// ------------------------------------------------------------------- REGACK

const std::string kRegack = bytes({
    0x07,        // Length: 7 (5.2.1)
    0x0B,        // MsgType: REGACK (5.2.2, 5.4.11)
    0x00, 0x07,  // TopicId: 7 (5.3.11)
    0x00, 0x01,  // MsgId: 1 (5.3.7)
    0x00,        // ReturnCode: accepted (5.3.10)
});
const Regack kRegackValue{.topic_id = 7, .msg_id = 1, .return_code = ReturnCode::accepted};

TEST(Regack, Decodes) {
  EXPECT_EQ(decoded_as<Regack>(kRegack), kRegackValue);
}
TEST(Regack, Encodes) {
  EXPECT_EQ(encode(kRegackValue), kRegack);
}

// ------------------------------------------------------------------ PUBLISH

const std::string kPublish = bytes({
    0x09,        // Length: 9 (5.2.1)
    0x0C,        // MsgType: PUBLISH (5.2.2, 5.4.12)
    0x20,        // Flags: QoS 1, TopicIdType normal (5.3.4)
    0x00, 0x07,  // TopicId: 7, registered (5.3.11)
    0x12, 0x34,  // MsgId: 0x1234 (5.3.7)
    'h', 'i',    // Data: "hi" (5.3.2)
});
const Publish kPublishValue{.dup = false,
                            .qos = 1,
                            .retain = false,
                            .topic_id_type = TopicIdType::normal,
                            .topic_id = 7,
                            .msg_id = 0x1234,
                            .data = "hi"};

TEST(Publish, Decodes) {
  EXPECT_EQ(decoded_as<Publish>(kPublish), kPublishValue);
}
TEST(Publish, Encodes) {
  EXPECT_EQ(encode(kPublishValue), kPublish);
}

const std::string kPublishShortName = bytes({
    0x08,        // Length: 8 (5.2.1)
    0x0C,        // MsgType: PUBLISH (5.2.2, 5.4.12)
    0x12,        // Flags: QoS 0, Retain, TopicIdType short name (5.3.4)
    'a', 'b',    // TopicId: the short topic name "ab" (5.3.11)
    0x00, 0x00,  // MsgId: 0x0000 for QoS 0 (5.4.12)
    'x',         // Data: "x" (5.3.2)
});
const Publish kPublishShortNameValue{.dup = false,
                                     .qos = 0,
                                     .retain = true,
                                     .topic_id_type = TopicIdType::short_name,
                                     .topic_id = short_topic_id('a', 'b'),
                                     .msg_id = 0,
                                     .data = "x"};

TEST(Publish, DecodesShortTopicName) {
  const auto m = decoded_as<Publish>(kPublishShortName);
  EXPECT_EQ(m, kPublishShortNameValue);
  EXPECT_EQ(short_topic_name(m.topic_id), "ab");
}
TEST(Publish, EncodesShortTopicName) {
  EXPECT_EQ(encode(kPublishShortNameValue), kPublishShortName);
}

const std::string kPublishQosMinusOne = bytes({
    0x08,        // Length: 8 (5.2.1)
    0x0C,        // MsgType: PUBLISH (5.2.2, 5.4.12)
    0x61,        // Flags: QoS -1 (binary 11), TopicIdType predefined (5.3.4, 6.8)
    0x00, 0x05,  // TopicId: predefined 5 (5.3.11)
    0x00, 0x00,  // MsgId: 0x0000 (5.4.12)
    '1',         // Data: "1" (5.3.2)
});
const Publish kPublishQosMinusOneValue{.dup = false,
                                       .qos = -1,
                                       .retain = false,
                                       .topic_id_type = TopicIdType::predefined,
                                       .topic_id = 5,
                                       .msg_id = 0,
                                       .data = "1"};

TEST(Publish, DecodesQosMinusOne) {
  EXPECT_EQ(decoded_as<Publish>(kPublishQosMinusOne), kPublishQosMinusOneValue);
}
TEST(Publish, EncodesQosMinusOne) {
  EXPECT_EQ(encode(kPublishQosMinusOneValue), kPublishQosMinusOne);
}

TEST(Publish, DecodesDupQos2WithEmptyData) {
  const auto m = decoded_as<Publish>(bytes({
      0x07,        // Length: 7 (5.2.1)
      0x0C,        // MsgType: PUBLISH (5.2.2)
      0xC0,        // Flags: DUP, QoS 2, TopicIdType normal (5.3.4)
      0x00, 0x01,  // TopicId (5.3.11)
      0x00, 0x02,  // MsgId (5.3.7)
                   // Data: empty (5.3.2)
  }));
  EXPECT_TRUE(m.dup);
  EXPECT_EQ(m.qos, 2);
  EXPECT_TRUE(m.data.empty());
}

TEST(Publish, IgnoresWillAndCleanSessionBits) {
  // Will and CleanSession are "not used" in PUBLISH (5.4.12).
  const auto m = decoded_as<Publish>(bytes({
      0x07,        // Length: 7 (5.2.1)
      0x0C,        // MsgType: PUBLISH (5.2.2)
      0x0C,        // Flags: Will, CleanSession (5.3.4)
      0x00, 0x01,  // TopicId (5.3.11)
      0x00, 0x00,  // MsgId (5.3.7)
  }));
  EXPECT_EQ(m.qos, 0);
  EXPECT_EQ(encode(m)[2], '\x00');
}

// A 300-octet PUBLISH needs the 3-octet Length form (5.2.1).
const std::string kPublishData291(291, 'z');
const std::string kLongPublishFields = bytes({
    0x01,        // Length: 3-octet form follows (5.2.1)
    0x01, 0x2C,  // Length: 300 (5.2.1)
    0x0C,        // MsgType: PUBLISH (5.2.2, 5.4.12)
    0x40,        // Flags: QoS 2 (5.3.4)
    0x00, 0x09,  // TopicId: 9 (5.3.11)
    0x00, 0x0A,  // MsgId: 10 (5.3.7)
});
const std::string kLongPublish = kLongPublishFields + kPublishData291;  // Data: 291 octets (5.3.2)
const Publish kLongPublishValue{.qos = 2, .topic_id = 9, .msg_id = 10, .data = kPublishData291};

TEST(LengthForms, LongPublishIs300Octets) {
  EXPECT_EQ(kLongPublish.size(), 300u);
}
TEST(LengthForms, DecodesThreeOctetForm) {
  EXPECT_EQ(decoded_as<Publish>(kLongPublish), kLongPublishValue);
}
TEST(LengthForms, EncodesThreeOctetForm) {
  EXPECT_EQ(encode(kLongPublishValue), kLongPublish);
}

TEST(LengthForms, UsesOneOctetUpTo255) {
  Publish p{.data = std::string(248, 'd')};  // 7 + 248 = 255 octets
  const std::string out = encode(p);
  ASSERT_EQ(out.size(), 255u);
  EXPECT_EQ(static_cast<uint8_t>(out[0]), 255);
  EXPECT_EQ(decoded_as<Publish>(out), p);
}

TEST(LengthForms, UsesThreeOctetsFrom256) {
  Publish p{.data = std::string(249, 'd')};  // 7 + 249 = 256 does not fit one octet
  const std::string out = encode(p);
  ASSERT_EQ(out.size(), 258u);
  EXPECT_EQ(out.substr(0, 3), bytes({0x01, 0x01, 0x02}));
  EXPECT_EQ(decoded_as<Publish>(out), p);
}

TEST(LengthForms, AcceptsThreeOctetFormForAShortMessage) {
  const auto m = decoded_as<Pubrel>(bytes({
      0x01,        // Length: 3-octet form follows (5.2.1)
      0x00, 0x06,  // Length: 6 (5.2.1)
      0x10,        // MsgType: PUBREL (5.2.2)
      0x00, 0x2A,  // MsgId: 42 (5.3.7)
  }));
  EXPECT_EQ(m.msg_id, 42);
  EXPECT_EQ(encode(m), bytes({0x04, 0x10, 0x00, 0x2A}));
}

TEST(LengthForms, LargestMessageFits) {
  Publish p{.data = std::string(65535 - 9, 'd')};
  const std::string out = encode(p);
  ASSERT_EQ(out.size(), 65535u);
  EXPECT_EQ(out.substr(0, 3), bytes({0x01, 0xFF, 0xFF}));
  EXPECT_EQ(decoded_as<Publish>(out), p);
}

TEST(LengthForms, TooLongToFrameEncodesEmpty) {
  EXPECT_TRUE(encode(Publish{.data = std::string(65535 - 8, 'd')}).empty());
}

// ------------------------------------------------------------------- PUBACK

const std::string kPuback = bytes({
    0x07,        // Length: 7 (5.2.1)
    0x0D,        // MsgType: PUBACK (5.2.2, 5.4.13)
    0x00, 0x07,  // TopicId: 7 (5.3.11)
    0x12, 0x34,  // MsgId: 0x1234 (5.3.7)
    0x02,        // ReturnCode: rejected, invalid topic ID (5.3.10)
});
const Puback kPubackValue{
    .topic_id = 7, .msg_id = 0x1234, .return_code = ReturnCode::invalid_topic_id};

TEST(Puback, Decodes) {
  EXPECT_EQ(decoded_as<Puback>(kPuback), kPubackValue);
}
TEST(Puback, Encodes) {
  EXPECT_EQ(encode(kPubackValue), kPuback);
}

// --------------------------------------------------- PUBREC, PUBREL, PUBCOMP

const std::string kPubrec = bytes({
    0x04,        // Length: 4 (5.2.1)
    0x0F,        // MsgType: PUBREC (5.2.2, 5.4.14)
    0x12, 0x34,  // MsgId: 0x1234 (5.3.7)
});
const std::string kPubrel = bytes({
    0x04,        // Length: 4 (5.2.1)
    0x10,        // MsgType: PUBREL (5.2.2, 5.4.14)
    0x12, 0x34,  // MsgId: 0x1234 (5.3.7)
});
const std::string kPubcomp = bytes({
    0x04,        // Length: 4 (5.2.1)
    0x0E,        // MsgType: PUBCOMP (5.2.2, 5.4.14)
    0x12, 0x34,  // MsgId: 0x1234 (5.3.7)
});

TEST(Pubrec, Decodes) {
  EXPECT_EQ(decoded_as<Pubrec>(kPubrec), Pubrec{0x1234});
}
TEST(Pubrec, Encodes) {
  EXPECT_EQ(encode(Pubrec{0x1234}), kPubrec);
}
TEST(Pubrel, Decodes) {
  EXPECT_EQ(decoded_as<Pubrel>(kPubrel), Pubrel{0x1234});
}
TEST(Pubrel, Encodes) {
  EXPECT_EQ(encode(Pubrel{0x1234}), kPubrel);
}
TEST(Pubcomp, Decodes) {
  EXPECT_EQ(decoded_as<Pubcomp>(kPubcomp), Pubcomp{0x1234});
}
TEST(Pubcomp, Encodes) {
  EXPECT_EQ(encode(Pubcomp{0x1234}), kPubcomp);
}

// ---------------------------------------------------------------- SUBSCRIBE

const std::string kSubscribeName = bytes({
    0x08,           // Length: 8 (5.2.1)
    0x12,           // MsgType: SUBSCRIBE (5.2.2, 5.4.15)
    0x20,           // Flags: QoS 1, TopicIdType normal: a topic name follows (5.3.4)
    0x00, 0x02,     // MsgId: 2 (5.3.7)
    's', '/', '+',  // TopicName: "s/+" (5.3.12)
});
const Subscribe kSubscribeNameValue{.qos = 1, .msg_id = 2, .topic = TopicName{"s/+"}};

const std::string kSubscribePredefined = bytes({
    0x07,        // Length: 7 (5.2.1)
    0x12,        // MsgType: SUBSCRIBE (5.2.2, 5.4.15)
    0xC1,        // Flags: DUP, QoS 2, TopicIdType predefined (5.3.4)
    0x00, 0x03,  // MsgId: 3 (5.3.7)
    0x00, 0x05,  // TopicId: predefined 5 (5.3.11)
});
const Subscribe kSubscribePredefinedValue{
    .dup = true, .qos = 2, .msg_id = 3, .topic = PredefinedTopicId{5}};

const std::string kSubscribeShort = bytes({
    0x07,        // Length: 7 (5.2.1)
    0x12,        // MsgType: SUBSCRIBE (5.2.2, 5.4.15)
    0x02,        // Flags: QoS 0, TopicIdType short name (5.3.4)
    0x00, 0x04,  // MsgId: 4 (5.3.7)
    'a', 'b',    // TopicName: short name "ab" (5.3.12)
});
const Subscribe kSubscribeShortValue{.qos = 0, .msg_id = 4, .topic = ShortTopicName{{'a', 'b'}}};

TEST(Subscribe, DecodesTopicName) {
  EXPECT_EQ(decoded_as<Subscribe>(kSubscribeName), kSubscribeNameValue);
}
TEST(Subscribe, EncodesTopicName) {
  EXPECT_EQ(encode(kSubscribeNameValue), kSubscribeName);
}
TEST(Subscribe, DecodesPredefinedTopicId) {
  EXPECT_EQ(decoded_as<Subscribe>(kSubscribePredefined), kSubscribePredefinedValue);
}
TEST(Subscribe, EncodesPredefinedTopicId) {
  EXPECT_EQ(encode(kSubscribePredefinedValue), kSubscribePredefined);
}
TEST(Subscribe, DecodesShortTopicName) {
  const auto m = decoded_as<Subscribe>(kSubscribeShort);
  EXPECT_EQ(m, kSubscribeShortValue);
  EXPECT_EQ(std::get<ShortTopicName>(m.topic).str(), "ab");
}
TEST(Subscribe, EncodesShortTopicName) {
  EXPECT_EQ(encode(kSubscribeShortValue), kSubscribeShort);
}

TEST(Subscribe, IgnoresRetainWillAndCleanSessionBits) {
  const auto m = decoded_as<Subscribe>(bytes({
      0x06,        // Length: 6 (5.2.1)
      0x12,        // MsgType: SUBSCRIBE (5.2.2)
      0x1C,        // Flags: Retain, Will, CleanSession: not used (5.3.4, 5.4.15)
      0x00, 0x01,  // MsgId (5.3.7)
      '#',         // TopicName (5.3.12)
  }));
  EXPECT_EQ(m, (Subscribe{.msg_id = 1, .topic = TopicName{"#"}}));
}

// ------------------------------------------------------------------- SUBACK

const std::string kSuback = bytes({
    0x08,        // Length: 8 (5.2.1)
    0x13,        // MsgType: SUBACK (5.2.2, 5.4.16)
    0x20,        // Flags: granted QoS 1 (5.3.4)
    0x00, 0x07,  // TopicId: 7 (5.3.11)
    0x00, 0x02,  // MsgId: 2 (5.3.7)
    0x00,        // ReturnCode: accepted (5.3.10)
});
const Suback kSubackValue{
    .qos = 1, .topic_id = 7, .msg_id = 2, .return_code = ReturnCode::accepted};

TEST(Suback, Decodes) {
  EXPECT_EQ(decoded_as<Suback>(kSuback), kSubackValue);
}
TEST(Suback, Encodes) {
  EXPECT_EQ(encode(kSubackValue), kSuback);
}

// -------------------------------------------------------------- UNSUBSCRIBE

const std::string kUnsubscribeName = bytes({
    0x08,           // Length: 8 (5.2.1)
    0x14,           // MsgType: UNSUBSCRIBE (5.2.2, 5.4.17)
    0x00,           // Flags: TopicIdType normal (5.3.4)
    0x00, 0x05,     // MsgId: 5 (5.3.7)
    's', '/', '+',  // TopicName: "s/+" (5.3.12)
});
const Unsubscribe kUnsubscribeNameValue{.msg_id = 5, .topic = TopicName{"s/+"}};

const std::string kUnsubscribePredefined = bytes({
    0x07,        // Length: 7 (5.2.1)
    0x14,        // MsgType: UNSUBSCRIBE (5.2.2, 5.4.17)
    0x01,        // Flags: TopicIdType predefined (5.3.4)
    0x00, 0x06,  // MsgId: 6 (5.3.7)
    0x00, 0x05,  // TopicId: predefined 5 (5.3.11)
});
const Unsubscribe kUnsubscribePredefinedValue{.msg_id = 6, .topic = PredefinedTopicId{5}};

const std::string kUnsubscribeShort = bytes({
    0x07,        // Length: 7 (5.2.1)
    0x14,        // MsgType: UNSUBSCRIBE (5.2.2, 5.4.17)
    0x02,        // Flags: TopicIdType short name (5.3.4)
    0x00, 0x07,  // MsgId: 7 (5.3.7)
    'a', 'b',    // TopicName: short name "ab" (5.3.12)
});
const Unsubscribe kUnsubscribeShortValue{.msg_id = 7, .topic = ShortTopicName{{'a', 'b'}}};

TEST(Unsubscribe, DecodesTopicName) {
  EXPECT_EQ(decoded_as<Unsubscribe>(kUnsubscribeName), kUnsubscribeNameValue);
}
TEST(Unsubscribe, EncodesTopicName) {
  EXPECT_EQ(encode(kUnsubscribeNameValue), kUnsubscribeName);
}
TEST(Unsubscribe, DecodesPredefinedTopicId) {
  EXPECT_EQ(decoded_as<Unsubscribe>(kUnsubscribePredefined), kUnsubscribePredefinedValue);
}
TEST(Unsubscribe, EncodesPredefinedTopicId) {
  EXPECT_EQ(encode(kUnsubscribePredefinedValue), kUnsubscribePredefined);
}
TEST(Unsubscribe, DecodesShortTopicName) {
  EXPECT_EQ(decoded_as<Unsubscribe>(kUnsubscribeShort), kUnsubscribeShortValue);
}
TEST(Unsubscribe, EncodesShortTopicName) {
  EXPECT_EQ(encode(kUnsubscribeShortValue), kUnsubscribeShort);
}

// ----------------------------------------------------------------- UNSUBACK

const std::string kUnsuback = bytes({
    0x04,        // Length: 4 (5.2.1)
    0x15,        // MsgType: UNSUBACK (5.2.2, 5.4.18)
    0x00, 0x05,  // MsgId: 5 (5.3.7)
});

TEST(Unsuback, Decodes) {
  EXPECT_EQ(decoded_as<Unsuback>(kUnsuback), Unsuback{5});
}
TEST(Unsuback, Encodes) {
  EXPECT_EQ(encode(Unsuback{5}), kUnsuback);
}

// ------------------------------------------------------------------ PINGREQ

const std::string kPingreq = bytes({
    0x02,  // Length: 2 (5.2.1)
    0x16,  // MsgType: PINGREQ (5.2.2, 5.4.19)
});
const std::string kPingreqWithClientId = bytes({
    0x06,                // Length: 6 (5.2.1)
    0x16,                // MsgType: PINGREQ (5.2.2, 5.4.19)
    'd', 'e', 'v', '1',  // ClientId: "dev1", a sleeping client awake (5.3.1, 6.14)
});

TEST(Pingreq, Decodes) {
  EXPECT_EQ(decoded_as<Pingreq>(kPingreq), Pingreq{});
}
TEST(Pingreq, Encodes) {
  EXPECT_EQ(encode(Pingreq{}), kPingreq);
}
TEST(Pingreq, DecodesWithClientId) {
  EXPECT_EQ(decoded_as<Pingreq>(kPingreqWithClientId), Pingreq{"dev1"});
}
TEST(Pingreq, EncodesWithClientId) {
  EXPECT_EQ(encode(Pingreq{"dev1"}), kPingreqWithClientId);
}

// ----------------------------------------------------------------- PINGRESP

const std::string kPingresp = bytes({
    0x02,  // Length: 2 (5.2.1)
    0x17,  // MsgType: PINGRESP (5.2.2, 5.4.20)
});

TEST(Pingresp, Decodes) {
  EXPECT_EQ(decoded_as<Pingresp>(kPingresp), Pingresp{});
}
TEST(Pingresp, Encodes) {
  EXPECT_EQ(encode(Pingresp{}), kPingresp);
}

// --------------------------------------------------------------- DISCONNECT

const std::string kDisconnect = bytes({
    0x02,  // Length: 2 (5.2.1)
    0x18,  // MsgType: DISCONNECT (5.2.2, 5.4.21)
});
const std::string kDisconnectWithDuration = bytes({
    0x04,        // Length: 4 (5.2.1)
    0x18,        // MsgType: DISCONNECT (5.2.2, 5.4.21)
    0x0E, 0x10,  // Duration: sleep 3600 s (5.3.3, 6.14)
});

TEST(Disconnect, Decodes) {
  EXPECT_EQ(decoded_as<Disconnect>(kDisconnect), Disconnect{});
}
TEST(Disconnect, Encodes) {
  EXPECT_EQ(encode(Disconnect{}), kDisconnect);
}
TEST(Disconnect, DecodesWithDuration) {
  EXPECT_EQ(decoded_as<Disconnect>(kDisconnectWithDuration), Disconnect{3600});
}
TEST(Disconnect, EncodesWithDuration) {
  EXPECT_EQ(encode(Disconnect{3600}), kDisconnectWithDuration);
}
TEST(Disconnect, KeepsAZeroDuration) {
  EXPECT_EQ(decoded_as<Disconnect>(bytes({0x04, 0x18, 0x00, 0x00})), Disconnect{0});
}

// ------------------------------------------------------------- WILLTOPICUPD

const std::string kWillTopicUpd = bytes({
    0x06,           // Length: 6 (5.2.1)
    0x1A,           // MsgType: WILLTOPICUPD (5.2.2, 5.4.22)
    0x50,           // Flags: QoS 2, Retain (5.3.4)
    'n', '/', 'w',  // WillTopic: "n/w" (5.3.14)
});
const WillTopicUpd kWillTopicUpdValue{.qos = 2, .retain = true, .will_topic = "n/w"};
const std::string kEmptyWillTopicUpd = bytes({
    0x02,  // Length: 2, no Flags and no WillTopic: delete the will (5.2.1, 5.4.22)
    0x1A,  // MsgType: WILLTOPICUPD (5.2.2)
});

TEST(WillTopicUpd, Decodes) {
  EXPECT_EQ(decoded_as<WillTopicUpd>(kWillTopicUpd), kWillTopicUpdValue);
}
TEST(WillTopicUpd, Encodes) {
  EXPECT_EQ(encode(kWillTopicUpdValue), kWillTopicUpd);
}
TEST(WillTopicUpd, DecodesTheEmptyForm) {
  EXPECT_EQ(decoded_as<WillTopicUpd>(kEmptyWillTopicUpd), WillTopicUpd{});
}
TEST(WillTopicUpd, EncodesTheEmptyForm) {
  EXPECT_EQ(encode(WillTopicUpd{}), kEmptyWillTopicUpd);
}

// ------------------------------------------------------------ WILLTOPICRESP

const std::string kWillTopicResp = bytes({
    0x03,  // Length: 3 (5.2.1)
    0x1B,  // MsgType: WILLTOPICRESP (5.2.2, 5.4.24)
    0x00,  // ReturnCode: accepted (5.3.10)
});

TEST(WillTopicResp, Decodes) {
  EXPECT_EQ(decoded_as<WillTopicResp>(kWillTopicResp), WillTopicResp{ReturnCode::accepted});
}
TEST(WillTopicResp, Encodes) {
  EXPECT_EQ(encode(WillTopicResp{ReturnCode::accepted}), kWillTopicResp);
}

// --------------------------------------------------------------- WILLMSGUPD

const std::string kWillMsgUpd = bytes({
    0x05,           // Length: 5 (5.2.1)
    0x1C,           // MsgType: WILLMSGUPD (5.2.2, 5.4.23)
    'n', 'e', 'w',  // WillMsg: "new" (5.3.13)
});

TEST(WillMsgUpd, Decodes) {
  EXPECT_EQ(decoded_as<WillMsgUpd>(kWillMsgUpd), WillMsgUpd{"new"});
}
TEST(WillMsgUpd, Encodes) {
  EXPECT_EQ(encode(WillMsgUpd{"new"}), kWillMsgUpd);
}

// -------------------------------------------------------------- WILLMSGRESP

const std::string kWillMsgResp = bytes({
    0x03,  // Length: 3 (5.2.1)
    0x1D,  // MsgType: WILLMSGRESP (5.2.2, 5.4.25)
    0x03,  // ReturnCode: rejected, not supported (5.3.10)
});

TEST(WillMsgResp, Decodes) {
  EXPECT_EQ(decoded_as<WillMsgResp>(kWillMsgResp), WillMsgResp{ReturnCode::not_supported});
}
TEST(WillMsgResp, Encodes) {
  EXPECT_EQ(encode(WillMsgResp{ReturnCode::not_supported}), kWillMsgResp);
}

// ------------------------------------------------------------ ENCAPSULATED

const std::string kEncapsulated = bytes({
    0x05,        // Length: 5, up to the end of the Wireless Node Id (5.5)
    0xFE,        // MsgType: Encapsulated message (5.2.2, 5.5)
    0x01,        // Ctrl: Radius 1 (5.5)
    0x00, 0x2A,  // Wireless Node Id: 2 octets (5.5)
    0x02,        // MQTT-SN message: Length 2 (5.5, 5.2.1)
    0x16,        // MQTT-SN message: MsgType PINGREQ (5.5, 5.4.19)
});
const Encapsulated kEncapsulatedValue{
    .radius = 1, .wireless_node_id = bytes({0x00, 0x2A}), .message = bytes({0x02, 0x16})};

TEST(Encapsulated, Decodes) {
  const auto m = decoded_as<Encapsulated>(kEncapsulated);
  EXPECT_EQ(m, kEncapsulatedValue);
  EXPECT_EQ(decoded_as<Pingreq>(m.message), Pingreq{});
}
TEST(Encapsulated, Encodes) {
  EXPECT_EQ(encode(kEncapsulatedValue), kEncapsulated);
}

TEST(Encapsulated, IgnoresCtrlBitsTwoToSeven) {
  const auto m = decoded_as<Encapsulated>(bytes({
      0x03,  // Length: 3 (5.5)
      0xFE,  // MsgType: Encapsulated message (5.5)
      0xFE,  // Ctrl: bits 2-7 set, Radius 2 (5.5)
             // Wireless Node Id: empty (5.5)
      0x02,  // MQTT-SN message: Length 2 (5.2.1)
      0x17,  // MQTT-SN message: PINGRESP (5.4.20)
  }));
  EXPECT_EQ(m.radius, 2);
  EXPECT_EQ(m.wireless_node_id, "");
  EXPECT_EQ(encode(m), bytes({0x03, 0xFE, 0x02, 0x02, 0x17}));
}

TEST(Encapsulated, CarriesALongMessage) {
  const Encapsulated e{.radius = 0, .wireless_node_id = "n", .message = kLongPublish};
  const std::string out = encode(e);
  EXPECT_EQ(out.substr(0, 4), bytes({0x04, 0xFE, 0x00, 'n'}));
  EXPECT_EQ(decoded_as<Encapsulated>(out), e);
}

TEST(Encapsulated, DecodesThreeOctetLengthForm) {
  const auto m = decoded_as<Encapsulated>(bytes({
      0x01,        // Length: 3-octet form follows (5.2.1)
      0x00, 0x06,  // Length: 6, up to the end of the Wireless Node Id (5.5)
      0xFE,        // MsgType: Encapsulated message (5.5)
      0x03,        // Ctrl: Radius 3 (5.5)
      'n',         // Wireless Node Id (5.5)
      0x02,        // MQTT-SN message: Length 2 (5.2.1)
      0x17,        // MQTT-SN message: PINGRESP (5.4.20)
  }));
  EXPECT_EQ(m, (Encapsulated{.radius = 3, .wireless_node_id = "n", .message = bytes({2, 0x17})}));
}

// -------------------------------------------------------------------- Flags

TEST(Flags, EachBitHasItsPlace) {
  // 5.3.4, table 4
  EXPECT_EQ(encode_flags(Flags{.dup = true}), 0x80);
  EXPECT_EQ(encode_flags(Flags{.qos = 0}), 0x00);
  EXPECT_EQ(encode_flags(Flags{.qos = 1}), 0x20);
  EXPECT_EQ(encode_flags(Flags{.qos = 2}), 0x40);
  EXPECT_EQ(encode_flags(Flags{.qos = -1}), 0x60);
  EXPECT_EQ(encode_flags(Flags{.retain = true}), 0x10);
  EXPECT_EQ(encode_flags(Flags{.will = true}), 0x08);
  EXPECT_EQ(encode_flags(Flags{.clean_session = true}), 0x04);
  EXPECT_EQ(encode_flags(Flags{.topic_id_type = TopicIdType::normal}), 0x00);
  EXPECT_EQ(encode_flags(Flags{.topic_id_type = TopicIdType::predefined}), 0x01);
  EXPECT_EQ(encode_flags(Flags{.topic_id_type = TopicIdType::short_name}), 0x02);
}

TEST(Flags, DecodesEveryBitTogether) {
  auto f = decode_flags(0xFE);  // DUP, QoS -1, Retain, Will, CleanSession, short name
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, (Flags{.dup = true,
                       .qos = -1,
                       .retain = true,
                       .will = true,
                       .clean_session = true,
                       .topic_id_type = TopicIdType::short_name}));
}

TEST(Flags, DecodesEachQosLevel) {
  EXPECT_EQ(decode_flags(0x00)->qos, 0);
  EXPECT_EQ(decode_flags(0x20)->qos, 1);
  EXPECT_EQ(decode_flags(0x40)->qos, 2);
  EXPECT_EQ(decode_flags(0x60)->qos, -1);
}

TEST(Flags, RoundTripEveryValidOctet) {
  for (int octet = 0; octet < 256; ++octet) {
    if ((octet & 0x03) == 0x03) continue;
    auto f = decode_flags(static_cast<uint8_t>(octet));
    ASSERT_TRUE(f.ok()) << octet;
    EXPECT_EQ(encode_flags(*f), octet);
  }
}

TEST(Flags, ReservedTopicIdTypeIsBadFlags) {
  auto f = decode_flags(0x03);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, "bad_flags");
}

TEST(Flags, OutOfRangeQosEncodesAsZero) {
  EXPECT_EQ(encode_flags(Flags{.qos = 7}), 0x00);
}

TEST(Flags, PublishCombinations) {
  for (int dup = 0; dup < 2; ++dup) {
    for (int qos = -1; qos <= 2; ++qos) {
      for (int retain = 0; retain < 2; ++retain) {
        for (auto type : {TopicIdType::predefined, TopicIdType::short_name}) {
          const Publish p{.dup = dup == 1,
                          .qos = static_cast<int8_t>(qos),
                          .retain = retain == 1,
                          .topic_id_type = type,
                          .topic_id = 1,
                          .msg_id = 2,
                          .data = "d"};
          const std::string out = encode(p);
          const int want =
              (dup << 7) | ((qos < 0 ? 3 : qos) << 5) | (retain << 4) | static_cast<int>(type);
          EXPECT_EQ(static_cast<uint8_t>(out[2]), want);
          EXPECT_EQ(decoded_as<Publish>(out), p);
        }
      }
    }
  }
}

// ------------------------------------------------------------ Short topics

TEST(ShortTopics, PacksTwoCharactersHighOctetFirst) {
  EXPECT_EQ(short_topic_id('a', 'b'), 0x6162);
  EXPECT_EQ(short_topic_name(0x6162), "ab");
  EXPECT_EQ(short_topic_name(short_topic_id('\xFF', '\x00')), bytes({0xFF, 0x00}));
}

TEST(ShortTopics, TopicRefNamesItsTopicIdType) {
  EXPECT_EQ(topic_id_type(TopicRef{TopicName{"a"}}), TopicIdType::normal);
  EXPECT_EQ(topic_id_type(TopicRef{PredefinedTopicId{1}}), TopicIdType::predefined);
  EXPECT_EQ(topic_id_type(TopicRef{ShortTopicName{{'a', 'b'}}}), TopicIdType::short_name);
}

// ---------------------------------------------------------- Message types

TEST(MsgTypes, HaveTheSpecValues) {
  // 5.2.2, table 3
  const std::vector<std::pair<Message, int>> cases = {
      {Advertise{}, 0x00},     {SearchGw{}, 0x01},   {GwInfo{}, 0x02},
      {Connect{}, 0x04},       {Connack{}, 0x05},    {WillTopicReq{}, 0x06},
      {WillTopic{}, 0x07},     {WillMsgReq{}, 0x08}, {WillMsg{}, 0x09},
      {Register{}, 0x0A},      {Regack{}, 0x0B},     {Publish{}, 0x0C},
      {Puback{}, 0x0D},        {Pubcomp{}, 0x0E},    {Pubrec{}, 0x0F},
      {Pubrel{}, 0x10},        {Subscribe{}, 0x12},  {Suback{}, 0x13},
      {Unsubscribe{}, 0x14},   {Unsuback{}, 0x15},   {Pingreq{}, 0x16},
      {Pingresp{}, 0x17},      {Disconnect{}, 0x18}, {WillTopicUpd{}, 0x1A},
      {WillTopicResp{}, 0x1B}, {WillMsgUpd{}, 0x1C}, {WillMsgResp{}, 0x1D},
      {Encapsulated{}, 0xFE},
  };
  ASSERT_EQ(cases.size(), std::variant_size_v<Message>);
  for (const auto& [message, value] : cases) {
    EXPECT_EQ(static_cast<int>(type_of(message)), value) << name(type_of(message));
    EXPECT_NE(name(type_of(message)), "UNKNOWN");
  }
  EXPECT_EQ(name(MsgType::reg), "REGISTER");
  EXPECT_EQ(name(static_cast<MsgType>(0x03)), "UNKNOWN");
}

// ------------------------------------------------------ Malformed: framing

TEST(Malformed, EmptyDatagramIsTruncated) {
  EXPECT_EQ(error_of(""), "truncated");
}

TEST(Malformed, OneOctetIsTruncated) {
  EXPECT_EQ(error_of(bytes({0x02})), "truncated");
}

TEST(Malformed, ThreeOctetHeaderCutShortIsTruncated) {
  EXPECT_EQ(error_of(bytes({0x01, 0x00, 0x04})), "truncated");
}

TEST(Malformed, LengthBeyondDatagramIsTruncated) {
  EXPECT_EQ(error_of(bytes({0x05, 0x0D, 0x00})), "truncated");
}

TEST(Malformed, ThreeOctetLengthBeyondDatagramIsTruncated) {
  EXPECT_EQ(error_of(bytes({0x01, 0x01, 0x2C, 0x0C, 0x00, 0x00, 0x01, 0x00, 0x00})), "truncated");
}

TEST(Malformed, LengthShortOfDatagramIsBadLength) {
  EXPECT_EQ(error_of(bytes({0x02, 0x18, 0x00, 0x00})), "bad_length");
}

TEST(Malformed, LengthZeroIsBadLength) {
  EXPECT_EQ(error_of(bytes({0x00, 0x18})), "bad_length");
}

TEST(Malformed, ThreeOctetLengthBelowItsHeaderIsBadLength) {
  EXPECT_EQ(error_of(bytes({0x01, 0x00, 0x03, 0x18})), "bad_length");
}

TEST(Malformed, ReservedMsgTypeIsUnknownType) {
  for (int type : {0x03, 0x11, 0x19, 0x1E, 0x80, 0xFD, 0xFF}) {
    EXPECT_EQ(error_of(bytes({0x02, type})), "unknown_type") << type;
  }
}

// ---------------------------------------------- Malformed: body size per type

TEST(Malformed, FixedSizeMessageWithAnExtraOctetIsMalformed) {
  EXPECT_EQ(error_of(bytes({0x08, 0x0D, 0x00, 0x07, 0x12, 0x34, 0x00, 0x00})), "malformed");
  EXPECT_EQ(error_of(bytes({0x03, 0x17, 0x00})), "malformed");
  EXPECT_EQ(error_of(bytes({0x06, 0x00, 0x01, 0x00, 0x3C, 0x00})), "malformed");
}

TEST(Malformed, FixedSizeMessageMissingAnOctetIsMalformed) {
  EXPECT_EQ(error_of(bytes({0x06, 0x0D, 0x00, 0x07, 0x12, 0x34})), "malformed");
  EXPECT_EQ(error_of(bytes({0x03, 0x0F, 0x12})), "malformed");
  EXPECT_EQ(error_of(bytes({0x02, 0x05})), "malformed");
}

TEST(Malformed, DisconnectWithOneOctetDurationIsMalformed) {
  EXPECT_EQ(error_of(bytes({0x03, 0x18, 0x0E})), "malformed");
}

TEST(Malformed, ConnectShorterThanItsFixedFieldsIsMalformed) {
  EXPECT_EQ(error_of(bytes({0x05, 0x04, 0x04, 0x01, 0x00})), "malformed");
}

TEST(Malformed, PublishShorterThanItsFixedFieldsIsMalformed) {
  EXPECT_EQ(error_of(bytes({0x06, 0x0C, 0x00, 0x00, 0x07, 0x00})), "malformed");
}

TEST(Malformed, RegisterShorterThanItsFixedFieldsIsMalformed) {
  EXPECT_EQ(error_of(bytes({0x05, 0x0A, 0x00, 0x00, 0x01})), "malformed");
}

TEST(Malformed, GwInfoWithoutGwIdIsMalformed) {
  EXPECT_EQ(error_of(bytes({0x02, 0x02})), "malformed");
}

TEST(Malformed, SubscribeWithoutMsgIdIsMalformed) {
  EXPECT_EQ(error_of(bytes({0x04, 0x12, 0x00, 0x00})), "malformed");
}

TEST(Malformed, SubscribePredefinedIdOfOneOctetIsMalformed) {
  EXPECT_EQ(error_of(bytes({0x06, 0x12, 0x01, 0x00, 0x01, 0x05})), "malformed");
}

TEST(Malformed, SubscribeShortNameOfThreeOctetsIsMalformed) {
  EXPECT_EQ(error_of(bytes({0x08, 0x12, 0x02, 0x00, 0x01, 'a', 'b', 'c'})), "malformed");
}

TEST(Malformed, UnsubscribePredefinedIdOfThreeOctetsIsMalformed) {
  EXPECT_EQ(error_of(bytes({0x08, 0x14, 0x01, 0x00, 0x01, 0x00, 0x05, 0x00})), "malformed");
}

TEST(Malformed, EncapsulationWithoutCtrlIsMalformed) {
  EXPECT_EQ(error_of(bytes({0x02, 0xFE, 0x02, 0x16})), "malformed");
}

TEST(Malformed, EncapsulationWithoutMessageIsMalformed) {
  EXPECT_EQ(error_of(bytes({0x03, 0xFE, 0x00})), "malformed");
}

TEST(Malformed, EncapsulationHeaderBeyondDatagramIsTruncated) {
  EXPECT_EQ(error_of(bytes({0x09, 0xFE, 0x00, 0x01})), "truncated");
}

// ------------------------------------------------ Malformed: field contents

TEST(Malformed, PublishReservedTopicIdTypeIsBadFlags) {
  EXPECT_EQ(error_of(bytes({0x07, 0x0C, 0x03, 0x00, 0x01, 0x00, 0x00})), "bad_flags");
}

TEST(Malformed, SubscribeReservedTopicIdTypeIsBadFlags) {
  EXPECT_EQ(error_of(bytes({0x07, 0x12, 0x03, 0x00, 0x01, 0x00, 0x01})), "bad_flags");
}

TEST(Malformed, UnsubscribeReservedTopicIdTypeIsBadFlags) {
  EXPECT_EQ(error_of(bytes({0x07, 0x14, 0x03, 0x00, 0x01, 0x00, 0x01})), "bad_flags");
}

TEST(Malformed, PublishQosMinusOneWithNormalTopicIdIsBadQos) {
  EXPECT_EQ(error_of(bytes({0x07, 0x0C, 0x60, 0x00, 0x01, 0x00, 0x00})), "bad_qos");
}

TEST(Malformed, SubscribeQosMinusOneIsBadQos) {
  EXPECT_EQ(error_of(bytes({0x06, 0x12, 0x60, 0x00, 0x01, 'a'})), "bad_qos");
}

TEST(Malformed, SubackQosMinusOneIsBadQos) {
  EXPECT_EQ(error_of(bytes({0x08, 0x13, 0x60, 0x00, 0x07, 0x00, 0x02, 0x00})), "bad_qos");
}

TEST(Malformed, WillTopicQosMinusOneIsBadQos) {
  EXPECT_EQ(error_of(bytes({0x04, 0x07, 0x60, 'w'})), "bad_qos");
}

TEST(Malformed, WillTopicUpdQosMinusOneIsBadQos) {
  EXPECT_EQ(error_of(bytes({0x04, 0x1A, 0x60, 'w'})), "bad_qos");
}

TEST(Malformed, ReservedReturnCodeIsBadReturnCode) {
  EXPECT_EQ(error_of(bytes({0x03, 0x05, 0x04})), "bad_return_code");
  EXPECT_EQ(error_of(bytes({0x07, 0x0B, 0x00, 0x07, 0x00, 0x01, 0xFF})), "bad_return_code");
  EXPECT_EQ(error_of(bytes({0x07, 0x0D, 0x00, 0x07, 0x00, 0x01, 0x80})), "bad_return_code");
  EXPECT_EQ(error_of(bytes({0x08, 0x13, 0x00, 0x00, 0x07, 0x00, 0x02, 0x04})), "bad_return_code");
  EXPECT_EQ(error_of(bytes({0x03, 0x1B, 0x10})), "bad_return_code");
  EXPECT_EQ(error_of(bytes({0x03, 0x1D, 0x04})), "bad_return_code");
}

TEST(Malformed, ConnectProtocolIdOtherThanOneIsBadProtocolId) {
  EXPECT_EQ(error_of(bytes({0x07, 0x04, 0x04, 0x02, 0x00, 0x3C, 'c'})), "bad_protocol_id");
}

TEST(Malformed, ConnectClientIdNotUtf8IsBadUtf8) {
  EXPECT_EQ(error_of(bytes({0x07, 0x04, 0x04, 0x01, 0x00, 0x3C, 0xFF})), "bad_utf8");
}

TEST(Malformed, PingreqClientIdNotUtf8IsBadUtf8) {
  EXPECT_EQ(error_of(bytes({0x04, 0x16, 0xC3, 0x28})), "bad_utf8");
}

TEST(Malformed, RegisterTopicNameNotUtf8IsBadUtf8) {
  EXPECT_EQ(error_of(bytes({0x07, 0x0A, 0x00, 0x00, 0x00, 0x01, 0x80})), "bad_utf8");
}

TEST(Malformed, SubscribeTopicNameNotUtf8IsBadUtf8) {
  EXPECT_EQ(error_of(bytes({0x07, 0x12, 0x00, 0x00, 0x01, 'a', 0x00})), "bad_utf8");
}

TEST(Malformed, UnsubscribeTopicNameNotUtf8IsBadUtf8) {
  EXPECT_EQ(error_of(bytes({0x06, 0x14, 0x00, 0x00, 0x01, 0xFE})), "bad_utf8");
}

TEST(Malformed, WillTopicNotUtf8IsBadUtf8) {
  EXPECT_EQ(error_of(bytes({0x05, 0x07, 0x00, 0xED, 0xA0})), "bad_utf8");
}

TEST(Malformed, RegisterWithEmptyTopicNameIsEmptyTopic) {
  EXPECT_EQ(error_of(bytes({0x06, 0x0A, 0x00, 0x00, 0x00, 0x01})), "empty_topic");
}

TEST(Malformed, SubscribeWithEmptyTopicNameIsEmptyTopic) {
  EXPECT_EQ(error_of(bytes({0x05, 0x12, 0x00, 0x00, 0x01})), "empty_topic");
}

TEST(Malformed, UnsubscribeWithEmptyTopicNameIsEmptyTopic) {
  EXPECT_EQ(error_of(bytes({0x05, 0x14, 0x00, 0x00, 0x01})), "empty_topic");
}

TEST(Malformed, WillTopicWithFlagsButNoTopicIsEmptyTopic) {
  EXPECT_EQ(error_of(bytes({0x03, 0x07, 0x20})), "empty_topic");
  EXPECT_EQ(error_of(bytes({0x03, 0x1A, 0x20})), "empty_topic");
}

TEST(Malformed, ErrorsCarryAMessage) {
  auto r = decode(bytes({0x02, 0x03}));
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.error().message.empty());
}

// --------------------------------------------------------------- Round trips

TEST(RoundTrip, EveryVectorDecodesAndEncodesBack) {
  for (const std::string* v : {
           &kAdvertise,
           &kSearchGw,
           &kGwInfoFromGateway,
           &kGwInfoFromClient,
           &kConnect,
           &kConnack,
           &kWillTopicReq,
           &kWillTopic,
           &kEmptyWillTopic,
           &kWillMsgReq,
           &kWillMsg,
           &kRegisterFromClient,
           &kRegisterFromGateway,
           &kRegack,
           &kPublish,
           &kPublishShortName,
           &kPublishQosMinusOne,
           &kLongPublish,
           &kPuback,
           &kPubrec,
           &kPubrel,
           &kPubcomp,
           &kSubscribeName,
           &kSubscribePredefined,
           &kSubscribeShort,
           &kSuback,
           &kUnsubscribeName,
           &kUnsubscribePredefined,
           &kUnsubscribeShort,
           &kUnsuback,
           &kPingreq,
           &kPingreqWithClientId,
           &kPingresp,
           &kDisconnect,
           &kDisconnectWithDuration,
           &kWillTopicUpd,
           &kEmptyWillTopicUpd,
           &kWillTopicResp,
           &kWillMsgUpd,
           &kWillMsgResp,
           &kEncapsulated,
       }) {
    auto r = decode(*v);
    ASSERT_TRUE(r.ok()) << r.error().code << ": " << r.error().message;
    EXPECT_EQ(encode(*r), *v) << name(type_of(*r));
  }
}

TEST(RoundTrip, ValuesSurviveEncodeThenDecode) {
  const std::vector<Message> values = {
      Advertise{.gw_id = 255, .duration = 65535},
      SearchGw{.radius = 0},
      GwInfo{.gw_id = 7, .gw_add = std::string("\0\1", 2)},
      Connect{.will = false, .clean_session = true, .duration = 0, .client_id = ""},
      Connect{.client_id = std::string(23, 'c')},
      Connack{ReturnCode::not_supported},
      WillTopic{.qos = 0, .retain = false, .will_topic = "$will/\xC3\xA9"},
      WillMsg{.will_msg = std::string("\0\xFF", 2)},
      WillMsg{.will_msg = ""},
      Register{.topic_id = 65535, .msg_id = 65535, .topic_name = "t"},
      Regack{.topic_id = 1, .msg_id = 2, .return_code = ReturnCode::congestion},
      Publish{.dup = true,
              .qos = 2,
              .retain = true,
              .topic_id = 1,
              .msg_id = 2,
              .data = std::string(1000, '\0')},
      Publish{.qos = -1, .topic_id_type = TopicIdType::short_name, .topic_id = 0x0000},
      Puback{.topic_id = 0, .msg_id = 0, .return_code = ReturnCode::accepted},
      Subscribe{.dup = true, .qos = 0, .msg_id = 9, .topic = TopicName{"a/#"}},
      Subscribe{.qos = 1, .msg_id = 9, .topic = ShortTopicName{{'\0', '\xFF'}}},
      Suback{.qos = 2, .topic_id = 3, .msg_id = 4, .return_code = ReturnCode::invalid_topic_id},
      Unsubscribe{.msg_id = 0, .topic = PredefinedTopicId{65535}},
      Pingreq{std::string(300, 'p')},
      Disconnect{65535},
      WillTopicUpd{.qos = 1, .retain = false, .will_topic = "w"},
      WillMsgUpd{""},
      Encapsulated{.radius = 3, .wireless_node_id = std::string(300, 'n'), .message = kPingreq},
  };
  for (const Message& m : values) {
    const std::string out = encode(m);
    auto r = decode(out);
    ASSERT_TRUE(r.ok()) << name(type_of(m)) << ": " << r.error().code << ": " << r.error().message;
    EXPECT_EQ(*r, m) << name(type_of(m));
  }
}

}  // namespace
}  // namespace trellis::mqttsn
