#include "adapters/mqttsn/codec.hpp"

#include <array>
#include <utility>

#include "core/topic.hpp"

namespace trellis::mqttsn {
namespace {

// Flags bits (5.3.4).
constexpr uint8_t kDup = 0x80;
constexpr uint8_t kQos = 0x60;
constexpr uint8_t kRetain = 0x10;
constexpr uint8_t kWill = 0x08;
constexpr uint8_t kCleanSession = 0x04;
constexpr uint8_t kTopicIdType = 0x03;

// The bits each message uses (5.4.4, 5.4.7, 5.4.12, 5.4.15-17, 5.4.22).
constexpr uint8_t kConnectBits = kWill | kCleanSession;
constexpr uint8_t kWillTopicBits = kQos | kRetain;
constexpr uint8_t kPublishBits = kDup | kQos | kRetain | kTopicIdType;
constexpr uint8_t kSubscribeBits = kDup | kQos | kTopicIdType;
constexpr uint8_t kSubackBits = kQos;
constexpr uint8_t kUnsubscribeBits = kTopicIdType;

constexpr uint8_t kProtocolId = 0x01;      // 5.3.8
constexpr uint8_t kThreeOctetMark = 0x01;  // 5.2.1
constexpr std::size_t kMaxLength = 0xFFFF;
constexpr uint8_t kRadiusBits = 0x03;  // Ctrl bits 0-1 (5.5)

Error fail(std::string_view code, std::string message) {
  return make_error(std::string(code), std::move(message));
}

// Reads fields from a body whose size the caller has already checked.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  std::size_t left() const { return in_.size() - pos_; }
  uint8_t u8() { return static_cast<uint8_t>(in_[pos_++]); }
  uint16_t u16() {
    const uint16_t hi = u8();
    return static_cast<uint16_t>((hi << 8) | u8());
  }
  std::string rest() {
    std::string out(in_.substr(pos_));
    pos_ = in_.size();
    return out;
  }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
};

void put_u8(std::string& out, uint8_t v) {
  out.push_back(static_cast<char>(v));
}
void put_u16(std::string& out, uint16_t v) {
  put_u8(out, static_cast<uint8_t>(v >> 8));
  put_u8(out, static_cast<uint8_t>(v & 0xFF));
}

Result<ReturnCode> read_return_code(Reader& r) {
  const uint8_t v = r.u8();
  if (v > static_cast<uint8_t>(ReturnCode::not_supported)) {
    return fail(errc::bad_return_code, "reserved return code " + std::to_string(v));
  }
  return static_cast<ReturnCode>(v);
}

Result<Flags> read_flags(Reader& r, uint8_t used_bits) {
  return decode_flags(static_cast<uint8_t>(r.u8() & used_bits));
}

uint8_t flags_octet(const Flags& flags, uint8_t used_bits) {
  return static_cast<uint8_t>(encode_flags(flags) & used_bits);
}

Status check_topic_name(const std::string& name, std::string_view what) {
  if (name.empty()) return fail(errc::empty_topic, std::string(what) + " is empty");
  if (!topic::is_valid_utf8(name)) {
    return fail(errc::bad_utf8, std::string(what) + " is not well-formed UTF-8");
  }
  return Ok{};
}

Error wrong_size(MsgType type, std::size_t body) {
  return fail(errc::malformed, std::string(name(type)) + " cannot have a body of " +
                                   std::to_string(body) + " octets");
}

// ---- Decoding, one function per message; `body` follows the MsgType octet. ----

Result<Message> decode_advertise(std::string_view body) {
  if (body.size() != 3) return wrong_size(MsgType::advertise, body.size());
  Reader r(body);
  Advertise m;
  m.gw_id = r.u8();
  m.duration = r.u16();
  return Message{m};
}

Result<Message> decode_searchgw(std::string_view body) {
  if (body.size() != 1) return wrong_size(MsgType::searchgw, body.size());
  return Message{SearchGw{static_cast<uint8_t>(body[0])}};
}

Result<Message> decode_gwinfo(std::string_view body) {
  if (body.empty()) return wrong_size(MsgType::gwinfo, 0);
  Reader r(body);
  GwInfo m;
  m.gw_id = r.u8();
  m.gw_add = r.rest();
  return Message{std::move(m)};
}

Result<Message> decode_connect(std::string_view body) {
  if (body.size() < 4) return wrong_size(MsgType::connect, body.size());
  Reader r(body);
  auto flags = read_flags(r, kConnectBits);
  if (!flags) return flags.error();
  const uint8_t protocol_id = r.u8();
  if (protocol_id != kProtocolId) {
    return fail(errc::bad_protocol_id, "protocol id " + std::to_string(protocol_id));
  }
  Connect m;
  m.will = flags->will;
  m.clean_session = flags->clean_session;
  m.duration = r.u16();
  m.client_id = r.rest();
  if (!topic::is_valid_utf8(m.client_id)) {
    return fail(errc::bad_utf8, "client id is not well-formed UTF-8");
  }
  return Message{std::move(m)};
}

template <typename T>
Result<Message> decode_return_code_only(MsgType type, std::string_view body) {
  if (body.size() != 1) return wrong_size(type, body.size());
  Reader r(body);
  auto rc = read_return_code(r);
  if (!rc) return rc.error();
  return Message{T{*rc}};
}

template <typename T>
Result<Message> decode_empty(MsgType type, std::string_view body) {
  if (!body.empty()) return wrong_size(type, body.size());
  return Message{T{}};
}

template <typename T>
Result<Message> decode_msg_id_only(MsgType type, std::string_view body) {
  if (body.size() != 2) return wrong_size(type, body.size());
  Reader r(body);
  return Message{T{r.u16()}};
}

// WILLTOPIC and WILLTOPICUPD share a layout (5.4.7, 5.4.22).
template <typename T>
Result<Message> decode_will_topic(std::string_view body) {
  T m;
  if (body.empty()) return Message{std::move(m)};  // the empty form: delete the will
  Reader r(body);
  auto flags = read_flags(r, kWillTopicBits);
  if (!flags) return flags.error();
  if (flags->qos < 0) return fail(errc::bad_qos, "a will cannot have QoS -1");
  m.qos = flags->qos;
  m.retain = flags->retain;
  m.will_topic = r.rest();
  if (auto ok = check_topic_name(m.will_topic, "will topic"); !ok) return ok.error();
  return Message{std::move(m)};
}

template <typename T>
Result<Message> decode_will_msg(std::string_view body) {
  return Message{T{std::string(body)}};
}

Result<Message> decode_register(std::string_view body) {
  if (body.size() < 4) return wrong_size(MsgType::reg, body.size());
  Reader r(body);
  Register m;
  m.topic_id = r.u16();
  m.msg_id = r.u16();
  m.topic_name = r.rest();
  if (auto ok = check_topic_name(m.topic_name, "topic name"); !ok) return ok.error();
  return Message{std::move(m)};
}

// REGACK and PUBACK share a layout (5.4.11, 5.4.13).
template <typename T>
Result<Message> decode_topic_ack(MsgType type, std::string_view body) {
  if (body.size() != 5) return wrong_size(type, body.size());
  Reader r(body);
  T m;
  m.topic_id = r.u16();
  m.msg_id = r.u16();
  auto rc = read_return_code(r);
  if (!rc) return rc.error();
  m.return_code = *rc;
  return Message{m};
}

Result<Message> decode_publish(std::string_view body) {
  if (body.size() < 5) return wrong_size(MsgType::publish, body.size());
  Reader r(body);
  auto flags = read_flags(r, kPublishBits);
  if (!flags) return flags.error();
  if (flags->qos < 0 && flags->topic_id_type == TopicIdType::normal) {
    return fail(errc::bad_qos, "QoS -1 needs a predefined topic id or a short topic name");
  }
  Publish m;
  m.dup = flags->dup;
  m.qos = flags->qos;
  m.retain = flags->retain;
  m.topic_id_type = flags->topic_id_type;
  m.topic_id = r.u16();
  m.msg_id = r.u16();
  m.data = r.rest();
  return Message{std::move(m)};
}

// The TopicName or TopicId that ends SUBSCRIBE and UNSUBSCRIBE (5.4.15, 5.4.17).
// Fills `out` in place: GCC 12 sees a false "maybe uninitialized" when a
// TopicRef travels inside a Result.
Status read_topic_ref(MsgType type, TopicIdType id_type, Reader& r, TopicRef& out) {
  if (id_type == TopicIdType::normal) {
    auto& t = out.emplace<TopicName>();
    t.name = r.rest();
    return check_topic_name(t.name, "topic name");
  }
  if (r.left() != 2) return wrong_size(type, r.left() + 3);
  if (id_type == TopicIdType::predefined) {
    out.emplace<PredefinedTopicId>().id = r.u16();
    return Ok{};
  }
  auto& t = out.emplace<ShortTopicName>();
  t.chars[0] = static_cast<char>(r.u8());
  t.chars[1] = static_cast<char>(r.u8());
  return Ok{};
}

Result<Message> decode_subscribe(std::string_view body) {
  if (body.size() < 3) return wrong_size(MsgType::subscribe, body.size());
  Reader r(body);
  auto flags = read_flags(r, kSubscribeBits);
  if (!flags) return flags.error();
  if (flags->qos < 0) return fail(errc::bad_qos, "SUBSCRIBE cannot request QoS -1");
  Subscribe m;
  m.dup = flags->dup;
  m.qos = flags->qos;
  m.msg_id = r.u16();
  auto ok = read_topic_ref(MsgType::subscribe, flags->topic_id_type, r, m.topic);
  if (!ok) return ok.error();
  return Message{std::move(m)};
}

Result<Message> decode_suback(std::string_view body) {
  if (body.size() != 6) return wrong_size(MsgType::suback, body.size());
  Reader r(body);
  auto flags = read_flags(r, kSubackBits);
  if (!flags) return flags.error();
  if (flags->qos < 0) return fail(errc::bad_qos, "SUBACK cannot grant QoS -1");
  Suback m;
  m.qos = flags->qos;
  m.topic_id = r.u16();
  m.msg_id = r.u16();
  auto rc = read_return_code(r);
  if (!rc) return rc.error();
  m.return_code = *rc;
  return Message{m};
}

Result<Message> decode_unsubscribe(std::string_view body) {
  if (body.size() < 3) return wrong_size(MsgType::unsubscribe, body.size());
  Reader r(body);
  auto flags = read_flags(r, kUnsubscribeBits);
  if (!flags) return flags.error();
  Unsubscribe m;
  m.msg_id = r.u16();
  auto ok = read_topic_ref(MsgType::unsubscribe, flags->topic_id_type, r, m.topic);
  if (!ok) return ok.error();
  return Message{std::move(m)};
}

Result<Message> decode_pingreq(std::string_view body) {
  Pingreq m{std::string(body)};
  if (!topic::is_valid_utf8(m.client_id)) {
    return fail(errc::bad_utf8, "client id is not well-formed UTF-8");
  }
  return Message{std::move(m)};
}

Result<Message> decode_disconnect(std::string_view body) {
  if (body.empty()) return Message{Disconnect{}};
  if (body.size() != 2) return wrong_size(MsgType::disconnect, body.size());
  Reader r(body);
  return Message{Disconnect{r.u16()}};
}

Result<Message> decode_body(MsgType type, std::string_view body) {
  switch (type) {
    case MsgType::advertise:
      return decode_advertise(body);
    case MsgType::searchgw:
      return decode_searchgw(body);
    case MsgType::gwinfo:
      return decode_gwinfo(body);
    case MsgType::connect:
      return decode_connect(body);
    case MsgType::connack:
      return decode_return_code_only<Connack>(type, body);
    case MsgType::willtopicreq:
      return decode_empty<WillTopicReq>(type, body);
    case MsgType::willtopic:
      return decode_will_topic<WillTopic>(body);
    case MsgType::willmsgreq:
      return decode_empty<WillMsgReq>(type, body);
    case MsgType::willmsg:
      return decode_will_msg<WillMsg>(body);
    case MsgType::reg:
      return decode_register(body);
    case MsgType::regack:
      return decode_topic_ack<Regack>(type, body);
    case MsgType::publish:
      return decode_publish(body);
    case MsgType::puback:
      return decode_topic_ack<Puback>(type, body);
    case MsgType::pubcomp:
      return decode_msg_id_only<Pubcomp>(type, body);
    case MsgType::pubrec:
      return decode_msg_id_only<Pubrec>(type, body);
    case MsgType::pubrel:
      return decode_msg_id_only<Pubrel>(type, body);
    case MsgType::subscribe:
      return decode_subscribe(body);
    case MsgType::suback:
      return decode_suback(body);
    case MsgType::unsubscribe:
      return decode_unsubscribe(body);
    case MsgType::unsuback:
      return decode_msg_id_only<Unsuback>(type, body);
    case MsgType::pingreq:
      return decode_pingreq(body);
    case MsgType::pingresp:
      return decode_empty<Pingresp>(type, body);
    case MsgType::disconnect:
      return decode_disconnect(body);
    case MsgType::willtopicupd:
      return decode_will_topic<WillTopicUpd>(body);
    case MsgType::willtopicresp:
      return decode_return_code_only<WillTopicResp>(type, body);
    case MsgType::willmsgupd:
      return decode_will_msg<WillMsgUpd>(body);
    case MsgType::willmsgresp:
      return decode_return_code_only<WillMsgResp>(type, body);
    case MsgType::encapsulated:
      break;  // framed differently, handled by decode()
  }
  return fail(errc::unknown_type, "reserved message type");
}

bool is_known_type(uint8_t v) {
  return name(static_cast<MsgType>(v)) != "UNKNOWN";
}

// ---- Encoding: each writes the MsgType octet and the fields after it. ----

void body(std::string& out, const Advertise& m) {
  put_u8(out, m.gw_id);
  put_u16(out, m.duration);
}
void body(std::string& out, const SearchGw& m) {
  put_u8(out, m.radius);
}
void body(std::string& out, const GwInfo& m) {
  put_u8(out, m.gw_id);
  out += m.gw_add;
}
void body(std::string& out, const Connect& m) {
  put_u8(out, flags_octet(Flags{.will = m.will, .clean_session = m.clean_session}, kConnectBits));
  put_u8(out, kProtocolId);
  put_u16(out, m.duration);
  out += m.client_id;
}
void body(std::string& out, const Connack& m) {
  put_u8(out, static_cast<uint8_t>(m.return_code));
}
void body(std::string&, const WillTopicReq&) {}
template <typename T>
void will_topic_body(std::string& out, const T& m) {
  if (m.will_topic.empty()) return;  // the empty form carries no flags either
  put_u8(out, flags_octet(Flags{.qos = m.qos, .retain = m.retain}, kWillTopicBits));
  out += m.will_topic;
}
void body(std::string& out, const WillTopic& m) {
  will_topic_body(out, m);
}
void body(std::string&, const WillMsgReq&) {}
void body(std::string& out, const WillMsg& m) {
  out += m.will_msg;
}
void body(std::string& out, const Register& m) {
  put_u16(out, m.topic_id);
  put_u16(out, m.msg_id);
  out += m.topic_name;
}
void body(std::string& out, const Regack& m) {
  put_u16(out, m.topic_id);
  put_u16(out, m.msg_id);
  put_u8(out, static_cast<uint8_t>(m.return_code));
}
void body(std::string& out, const Publish& m) {
  put_u8(
      out,
      flags_octet(
          Flags{.dup = m.dup, .qos = m.qos, .retain = m.retain, .topic_id_type = m.topic_id_type},
          kPublishBits));
  put_u16(out, m.topic_id);
  put_u16(out, m.msg_id);
  out += m.data;
}
void body(std::string& out, const Puback& m) {
  put_u16(out, m.topic_id);
  put_u16(out, m.msg_id);
  put_u8(out, static_cast<uint8_t>(m.return_code));
}
void body(std::string& out, const Pubcomp& m) {
  put_u16(out, m.msg_id);
}
void body(std::string& out, const Pubrec& m) {
  put_u16(out, m.msg_id);
}
void body(std::string& out, const Pubrel& m) {
  put_u16(out, m.msg_id);
}
void topic_ref_body(std::string& out, const TopicRef& topic) {
  if (const auto* n = std::get_if<TopicName>(&topic)) {
    out += n->name;
  } else if (const auto* p = std::get_if<PredefinedTopicId>(&topic)) {
    put_u16(out, p->id);
  } else {
    const auto& s = std::get<ShortTopicName>(topic);
    out.append(s.chars.data(), s.chars.size());
  }
}
void body(std::string& out, const Subscribe& m) {
  put_u8(out,
         flags_octet(Flags{.dup = m.dup, .qos = m.qos, .topic_id_type = topic_id_type(m.topic)},
                     kSubscribeBits));
  put_u16(out, m.msg_id);
  topic_ref_body(out, m.topic);
}
void body(std::string& out, const Suback& m) {
  put_u8(out, flags_octet(Flags{.qos = m.qos}, kSubackBits));
  put_u16(out, m.topic_id);
  put_u16(out, m.msg_id);
  put_u8(out, static_cast<uint8_t>(m.return_code));
}
void body(std::string& out, const Unsubscribe& m) {
  put_u8(out, flags_octet(Flags{.topic_id_type = topic_id_type(m.topic)}, kUnsubscribeBits));
  put_u16(out, m.msg_id);
  topic_ref_body(out, m.topic);
}
void body(std::string& out, const Unsuback& m) {
  put_u16(out, m.msg_id);
}
void body(std::string& out, const Pingreq& m) {
  out += m.client_id;
}
void body(std::string&, const Pingresp&) {}
void body(std::string& out, const Disconnect& m) {
  if (m.duration) put_u16(out, *m.duration);
}
void body(std::string& out, const WillTopicUpd& m) {
  will_topic_body(out, m);
}
void body(std::string& out, const WillTopicResp& m) {
  put_u8(out, static_cast<uint8_t>(m.return_code));
}
void body(std::string& out, const WillMsgUpd& m) {
  out += m.will_msg;
}
void body(std::string& out, const WillMsgResp& m) {
  put_u8(out, static_cast<uint8_t>(m.return_code));
}
void body(std::string& out, const Encapsulated& m) {
  put_u8(out, static_cast<uint8_t>(m.radius & kRadiusBits));
  out += m.wireless_node_id;
}

// Prefixes `rest` (MsgType onwards) with the Length field (5.2.1).
std::string frame(std::string_view rest) {
  std::string out;
  if (rest.size() + 1 < 256) {
    out.reserve(rest.size() + 1);
    put_u8(out, static_cast<uint8_t>(rest.size() + 1));
  } else if (rest.size() + 3 <= kMaxLength) {
    out.reserve(rest.size() + 3);
    put_u8(out, kThreeOctetMark);
    put_u16(out, static_cast<uint16_t>(rest.size() + 3));
  } else {
    return {};
  }
  out += rest;
  return out;
}

// 5.5: the Length field counts up to the end of the Wireless Node Id.
Result<Message> decode_encapsulated(std::string_view datagram, std::size_t header,
                                    std::size_t declared) {
  if (declared > datagram.size()) {
    return fail(errc::truncated, "encapsulation header longer than the datagram");
  }
  if (declared < header + 2) {
    return fail(errc::malformed, "encapsulation header without a Ctrl octet");
  }
  if (declared == datagram.size()) {
    return fail(errc::malformed, "encapsulation without a message");
  }
  Encapsulated m;
  m.radius = static_cast<uint8_t>(static_cast<uint8_t>(datagram[header + 1]) & kRadiusBits);
  m.wireless_node_id = std::string(datagram.substr(header + 2, declared - header - 2));
  m.message = std::string(datagram.substr(declared));
  return Message{std::move(m)};
}

}  // namespace

std::string_view name(MsgType type) {
  switch (type) {
    case MsgType::advertise:
      return "ADVERTISE";
    case MsgType::searchgw:
      return "SEARCHGW";
    case MsgType::gwinfo:
      return "GWINFO";
    case MsgType::connect:
      return "CONNECT";
    case MsgType::connack:
      return "CONNACK";
    case MsgType::willtopicreq:
      return "WILLTOPICREQ";
    case MsgType::willtopic:
      return "WILLTOPIC";
    case MsgType::willmsgreq:
      return "WILLMSGREQ";
    case MsgType::willmsg:
      return "WILLMSG";
    case MsgType::reg:
      return "REGISTER";
    case MsgType::regack:
      return "REGACK";
    case MsgType::publish:
      return "PUBLISH";
    case MsgType::puback:
      return "PUBACK";
    case MsgType::pubcomp:
      return "PUBCOMP";
    case MsgType::pubrec:
      return "PUBREC";
    case MsgType::pubrel:
      return "PUBREL";
    case MsgType::subscribe:
      return "SUBSCRIBE";
    case MsgType::suback:
      return "SUBACK";
    case MsgType::unsubscribe:
      return "UNSUBSCRIBE";
    case MsgType::unsuback:
      return "UNSUBACK";
    case MsgType::pingreq:
      return "PINGREQ";
    case MsgType::pingresp:
      return "PINGRESP";
    case MsgType::disconnect:
      return "DISCONNECT";
    case MsgType::willtopicupd:
      return "WILLTOPICUPD";
    case MsgType::willtopicresp:
      return "WILLTOPICRESP";
    case MsgType::willmsgupd:
      return "WILLMSGUPD";
    case MsgType::willmsgresp:
      return "WILLMSGRESP";
    case MsgType::encapsulated:
      return "ENCAPSULATED";
  }
  return "UNKNOWN";
}

uint8_t encode_flags(const Flags& flags) {
  uint8_t qos = 0;
  if (flags.qos == -1) {
    qos = 3;
  } else if (flags.qos >= 0 && flags.qos <= 2) {
    qos = static_cast<uint8_t>(flags.qos);
  }
  uint8_t id_type = static_cast<uint8_t>(flags.topic_id_type);
  if (id_type > 2) id_type = 0;
  return static_cast<uint8_t>((flags.dup ? kDup : 0) | (qos << 5) | (flags.retain ? kRetain : 0) |
                              (flags.will ? kWill : 0) | (flags.clean_session ? kCleanSession : 0) |
                              id_type);
}

Result<Flags> decode_flags(uint8_t octet) {
  const uint8_t id_type = octet & kTopicIdType;
  if (id_type == 3) return fail(errc::bad_flags, "reserved TopicIdType 11");
  const uint8_t qos = (octet & kQos) >> 5;
  Flags f;
  f.dup = (octet & kDup) != 0;
  f.qos = qos == 3 ? int8_t{-1} : static_cast<int8_t>(qos);
  f.retain = (octet & kRetain) != 0;
  f.will = (octet & kWill) != 0;
  f.clean_session = (octet & kCleanSession) != 0;
  f.topic_id_type = static_cast<TopicIdType>(id_type);
  return f;
}

uint16_t short_topic_id(char first, char second) {
  return static_cast<uint16_t>((static_cast<uint8_t>(first) << 8) | static_cast<uint8_t>(second));
}

std::string short_topic_name(uint16_t topic_id) {
  return std::string{static_cast<char>(topic_id >> 8), static_cast<char>(topic_id & 0xFF)};
}

TopicIdType topic_id_type(const TopicRef& topic) {
  if (std::holds_alternative<PredefinedTopicId>(topic)) return TopicIdType::predefined;
  if (std::holds_alternative<ShortTopicName>(topic)) return TopicIdType::short_name;
  return TopicIdType::normal;
}

MsgType type_of(const Message& message) {
  // In the order of the Message alternatives.
  static constexpr std::array<MsgType, 28> kTypes = {
      MsgType::advertise,     MsgType::searchgw,     MsgType::gwinfo,      MsgType::connect,
      MsgType::connack,       MsgType::willtopicreq, MsgType::willtopic,   MsgType::willmsgreq,
      MsgType::willmsg,       MsgType::reg,          MsgType::regack,      MsgType::publish,
      MsgType::puback,        MsgType::pubcomp,      MsgType::pubrec,      MsgType::pubrel,
      MsgType::subscribe,     MsgType::suback,       MsgType::unsubscribe, MsgType::unsuback,
      MsgType::pingreq,       MsgType::pingresp,     MsgType::disconnect,  MsgType::willtopicupd,
      MsgType::willtopicresp, MsgType::willmsgupd,   MsgType::willmsgresp, MsgType::encapsulated,
  };
  static_assert(std::variant_size_v<Message> == kTypes.size());
  return kTypes[message.index()];
}

Result<Message> decode(std::string_view datagram) {
  if (datagram.size() < 2) return fail(errc::truncated, "shorter than a message header");
  std::size_t header = 1;  // octets of the Length field
  std::size_t declared = static_cast<uint8_t>(datagram[0]);
  if (declared == kThreeOctetMark) {
    if (datagram.size() < 4) return fail(errc::truncated, "shorter than a 3-octet header");
    header = 3;
    declared =
        (std::size_t{static_cast<uint8_t>(datagram[1])} << 8) | static_cast<uint8_t>(datagram[2]);
  }
  if (declared < header + 1) {
    return fail(errc::bad_length, "length " + std::to_string(declared) + " below the header");
  }
  const uint8_t type = static_cast<uint8_t>(datagram[header]);
  if (type == static_cast<uint8_t>(MsgType::encapsulated)) {
    return decode_encapsulated(datagram, header, declared);
  }
  if (declared > datagram.size()) {
    return fail(errc::truncated, "length " + std::to_string(declared) + " but only " +
                                     std::to_string(datagram.size()) + " octets");
  }
  if (declared < datagram.size()) {
    return fail(errc::bad_length, "length " + std::to_string(declared) + " but " +
                                      std::to_string(datagram.size()) + " octets");
  }
  if (!is_known_type(type)) {
    return fail(errc::unknown_type, "reserved message type " + std::to_string(type));
  }
  return decode_body(static_cast<MsgType>(type), datagram.substr(header + 1));
}

std::string encode(const Message& message) {
  std::string rest;
  put_u8(rest, static_cast<uint8_t>(type_of(message)));
  std::visit([&rest](const auto& m) { body(rest, m); }, message);
  if (const auto* e = std::get_if<Encapsulated>(&message)) {
    std::string out = frame(rest);
    if (out.empty()) return out;
    out += e->message;
    return out;
  }
  return frame(rest);
}

}  // namespace trellis::mqttsn
