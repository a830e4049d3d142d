#include "adapters/mqtt/codec.hpp"

#include <cassert>
#include <cstring>

#include "core/topic.hpp"

namespace trellis::mqtt {

std::string_view packet_type_name(PacketType type) {
  switch (type) {
    case PacketType::connect:
      return "CONNECT";
    case PacketType::connack:
      return "CONNACK";
    case PacketType::publish:
      return "PUBLISH";
    case PacketType::puback:
      return "PUBACK";
    case PacketType::pubrec:
      return "PUBREC";
    case PacketType::pubrel:
      return "PUBREL";
    case PacketType::pubcomp:
      return "PUBCOMP";
    case PacketType::subscribe:
      return "SUBSCRIBE";
    case PacketType::suback:
      return "SUBACK";
    case PacketType::unsubscribe:
      return "UNSUBSCRIBE";
    case PacketType::unsuback:
      return "UNSUBACK";
    case PacketType::pingreq:
      return "PINGREQ";
    case PacketType::pingresp:
      return "PINGRESP";
    case PacketType::disconnect:
      return "DISCONNECT";
  }
  return "UNKNOWN";
}

namespace {

// ---------------------------------------------------------------- decoding

// Fixed header rules per packet type, indexed by the type nibble (2.2).
struct TypeRule {
  int8_t flags;        // required low nibble; -1 for PUBLISH, whose flags carry meaning
  int8_t body_length;  // required Remaining Length; -1 when variable
};

constexpr TypeRule type_rules[16] = {
    {0, 0},    // 0 reserved: rejected before this table is read
    {0, -1},   // CONNECT 3.1.1
    {0, 2},    // CONNACK 3.2.1
    {-1, -1},  // PUBLISH 3.3.1
    {0, 2},    // PUBACK 3.4.1
    {0, 2},    // PUBREC 3.5.1
    {2, 2},    // PUBREL 3.6.1 [MQTT-3.6.1-1]
    {0, 2},    // PUBCOMP 3.7.1
    {2, -1},   // SUBSCRIBE 3.8.1 [MQTT-3.8.1-1]
    {0, -1},   // SUBACK 3.9.1
    {2, -1},   // UNSUBSCRIBE 3.10.1 [MQTT-3.10.1-1]
    {0, 2},    // UNSUBACK 3.11.1
    {0, 0},    // PINGREQ 3.12.1
    {0, 0},    // PINGRESP 3.13.1
    {0, 0},    // DISCONNECT 3.14.1
    {0, 0},    // 15 reserved
};

DecodeResult fail(std::string code, std::string message) {
  DecodeResult r;
  r.status = DecodeStatus::error;
  r.error = make_error(std::move(code), std::move(message));
  return r;
}

Error malformed(std::string message) {
  return make_error("malformed", std::move(message));
}

// Reads the fields of one packet body; every read checks the body's end, so a
// Remaining Length too short for the fields is caught as malformed.
class Reader {
 public:
  explicit Reader(std::string_view body)
      : p_(reinterpret_cast<const uint8_t*>(body.data())), end_(p_ + body.size()) {}

  std::size_t left() const { return static_cast<std::size_t>(end_ - p_); }
  bool empty() const { return p_ == end_; }

  bool u8(uint8_t& v) {
    if (p_ == end_) return false;
    v = *p_++;
    return true;
  }
  bool u16(uint16_t& v) {
    if (left() < 2) return false;
    v = static_cast<uint16_t>((p_[0] << 8) | p_[1]);
    p_ += 2;
    return true;
  }
  // A two-byte length followed by that many bytes (1.5.3).
  bool prefixed(std::string_view& v) {
    uint16_t n;
    if (!u16(n) || left() < n) return false;
    v = std::string_view(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return true;
  }
  std::string_view rest() {
    std::string_view v(reinterpret_cast<const char*>(p_), left());
    p_ = end_;
    return v;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

// A UTF-8 string field: well-formed, no U+0000 [MQTT-1.5.3-1] [MQTT-1.5.3-2].
Status read_utf8(Reader& r, std::string& out, const char* field) {
  std::string_view v;
  if (!r.prefixed(v)) return malformed(std::string(field) + " is truncated");
  if (!topic::is_valid_utf8(v)) {
    return make_error("bad_utf8", std::string(field) + " is not valid UTF-8 or contains U+0000");
  }
  out.assign(v);
  return Ok{};
}

Status read_binary(Reader& r, std::string& out, const char* field) {
  std::string_view v;
  if (!r.prefixed(v)) return malformed(std::string(field) + " is truncated");
  out.assign(v);
  return Ok{};
}

// Packet identifiers are non-zero wherever they appear [MQTT-2.3.1-1].
Status read_packet_id(Reader& r, uint16_t& id) {
  if (!r.u16(id)) return malformed("packet identifier is truncated");
  if (id == 0) return make_error("packet_id_zero", "packet identifier must not be 0");
  return Ok{};
}

Status decode_connect(Reader& r, Connect& c) {
  std::string_view name;
  if (!r.prefixed(name)) return malformed("protocol name is truncated");
  // "MQTT" for 3.1.1 (3.1.2.1), "MQIsdp" for 3.1; anything else is not MQTT [MQTT-3.1.2-1].
  if (name != "MQTT" && name != "MQIsdp") {
    return make_error("bad_protocol_name", "protocol name is neither MQTT nor MQIsdp");
  }
  c.protocol_name.assign(name);
  uint8_t flags;
  if (!r.u8(c.protocol_level) || !r.u8(flags) || !r.u16(c.keepalive)) {
    return malformed("CONNECT variable header is truncated");
  }
  c.clean_session = (flags & 0x02) != 0;
  // Another level's payload may be laid out differently (5.0 adds properties):
  // stop here so the broker can answer 0x01 [MQTT-3.1.2-2].
  if (c.protocol_level != protocol_level_3_1 && c.protocol_level != protocol_level_3_1_1) {
    r.rest();
    return Ok{};
  }

  if (flags & 0x01) {
    return make_error("bad_connect_flags", "reserved CONNECT flag must be 0 [MQTT-3.1.2-3]");
  }
  const bool will_flag = flags & 0x04;
  const uint8_t will_qos = (flags >> 3) & 0x03;
  const bool will_retain = flags & 0x20;
  const bool password_flag = flags & 0x40;
  const bool username_flag = flags & 0x80;
  if (!will_flag && (will_qos != 0 || will_retain)) {
    return make_error("bad_connect_flags",
                      "will QoS and retain must be 0 without a will [MQTT-3.1.2-11] "
                      "[MQTT-3.1.2-13]");
  }
  if (will_qos == 3) return make_error("bad_qos", "will QoS 3 is invalid [MQTT-3.1.2-12]");
  // 3.1 allowed a password without a user name; 3.1.1 does not [MQTT-3.1.2-22].
  if (password_flag && !username_flag && c.protocol_level == protocol_level_3_1_1) {
    return make_error("bad_connect_flags", "password flag set without user name flag");
  }

  // Payload order: client id, will topic, will message, user name, password [MQTT-3.1.3-1].
  if (auto s = read_utf8(r, c.client_id, "client identifier"); !s) return s;  // [MQTT-3.1.3-4]
  if (will_flag) {
    Will& w = c.will.emplace();
    w.qos = will_qos;
    w.retain = will_retain;
    std::string_view topic_name;
    if (!r.prefixed(topic_name)) return malformed("will topic is truncated");
    // The will is published like any PUBLISH, so its topic obeys the same rules [MQTT-3.1.3-10].
    if (auto s = topic::validate_name(topic_name); !s) return s;
    w.topic.assign(topic_name);
    if (auto s = read_binary(r, w.payload, "will message"); !s) return s;
  }
  if (username_flag) {  // [MQTT-3.1.2-17] [MQTT-3.1.3-11]
    if (auto s = read_utf8(r, c.username.emplace(), "user name"); !s) return s;
  }
  if (password_flag) {  // [MQTT-3.1.2-19]; binary data (3.1.3.5)
    if (auto s = read_binary(r, c.password.emplace(), "password"); !s) return s;
  }
  return Ok{};
}

Status decode_connack(Reader& r, Connack& c) {
  uint8_t flags = 0;
  r.u8(flags);
  r.u8(c.return_code);  // length checked in the fixed header
  if (flags & 0xFE) {
    return make_error("bad_connack_flags",
                      "CONNACK acknowledge flags bits 7-1 must be 0 (3.2.2.1)");
  }
  c.session_present = flags & 0x01;
  if (c.return_code > connack_code::not_authorized) {
    return make_error("bad_return_code", "CONNACK return code 6-255 is reserved (3.2.2.3)");
  }
  return Ok{};
}

Status decode_publish(uint8_t flags, Reader& r, Publish& p) {
  p.dup = flags & 0x08;
  p.qos = (flags >> 1) & 0x03;
  p.retain = flags & 0x01;
  std::string_view name;
  if (!r.prefixed(name)) return malformed("PUBLISH topic name is truncated");
  // [MQTT-3.3.2-1] [MQTT-3.3.2-2] [MQTT-4.7.3-1]
  if (auto s = topic::validate_name(name); !s) return s;
  if (p.qos > 0) {
    if (auto s = read_packet_id(r, p.packet_id); !s) return s;
  }
  // Constructing (not assigning) is the cheapest copy into an empty string: the hot path.
  p.topic = std::string(name);
  p.payload = std::string(r.rest());  // whatever the Remaining Length leaves (3.3.3)
  return Ok{};
}

Status decode_subscribe(Reader& r, Subscribe& s) {
  if (auto st = read_packet_id(r, s.packet_id); !st) return st;
  if (r.empty()) {
    return make_error("empty_subscription",
                      "SUBSCRIBE needs at least one topic filter [MQTT-3.8.3-3]");
  }
  while (!r.empty()) {
    std::string_view filter;
    uint8_t qos;
    if (!r.prefixed(filter) || !r.u8(qos)) return malformed("SUBSCRIBE topic is truncated");
    // [MQTT-3.8.3-1] and 4.7.1
    if (auto st = topic::validate_filter(filter); !st) return st;
    if (qos & 0xFC) {
      return make_error("bad_qos", "reserved bits of requested QoS must be 0 [MQTT-3-8.3-4]");
    }
    if (qos == 3) return make_error("bad_qos", "requested QoS 3 is invalid [MQTT-3-8.3-4]");
    s.topics.push_back(SubscribeTopic{std::string(filter), qos});
  }
  return Ok{};
}

Status decode_suback(Reader& r, Suback& s) {
  if (auto st = read_packet_id(r, s.packet_id); !st) return st;
  if (r.empty()) return malformed("SUBACK has no return codes (3.9.3)");
  std::string_view codes = r.rest();
  for (char ch : codes) {
    auto code = static_cast<uint8_t>(ch);
    if (code > 2 && code != suback_failure) {
      return make_error("bad_return_code", "SUBACK return code is reserved [MQTT-3.9.3-2]");
    }
  }
  s.return_codes.assign(codes.begin(), codes.end());
  return Ok{};
}

Status decode_unsubscribe(Reader& r, Unsubscribe& u) {
  if (auto st = read_packet_id(r, u.packet_id); !st) return st;
  if (r.empty()) {
    return make_error("empty_subscription",
                      "UNSUBSCRIBE needs at least one topic filter [MQTT-3.10.3-2]");
  }
  while (!r.empty()) {
    std::string_view filter;
    if (!r.prefixed(filter)) return malformed("UNSUBSCRIBE topic filter is truncated");
    if (auto st = topic::validate_filter(filter); !st) return st;  // [MQTT-3.10.3-1]
    u.filters.emplace_back(filter);
  }
  return Ok{};
}

template <typename Ack>
Status decode_ack(Reader& r, Ack& a) {
  return read_packet_id(r, a.packet_id);
}

Status decode_body(uint8_t type, uint8_t flags, Reader& r, Packet& out) {
  switch (static_cast<PacketType>(type)) {
    case PacketType::connect:
      return decode_connect(r, out.emplace<Connect>());
    case PacketType::connack:
      return decode_connack(r, out.emplace<Connack>());
    case PacketType::publish:
      return decode_publish(flags, r, out.emplace<Publish>());
    case PacketType::puback:
      return decode_ack(r, out.emplace<Puback>());
    case PacketType::pubrec:
      return decode_ack(r, out.emplace<Pubrec>());
    case PacketType::pubrel:
      return decode_ack(r, out.emplace<Pubrel>());
    case PacketType::pubcomp:
      return decode_ack(r, out.emplace<Pubcomp>());
    case PacketType::subscribe:
      return decode_subscribe(r, out.emplace<Subscribe>());
    case PacketType::suback:
      return decode_suback(r, out.emplace<Suback>());
    case PacketType::unsubscribe:
      return decode_unsubscribe(r, out.emplace<Unsubscribe>());
    case PacketType::unsuback:
      return decode_ack(r, out.emplace<Unsuback>());
    case PacketType::pingreq:
      out.emplace<Pingreq>();
      return Ok{};
    case PacketType::pingresp:
      out.emplace<Pingresp>();
      return Ok{};
    case PacketType::disconnect:
      out.emplace<Disconnect>();
      return Ok{};
  }
  return malformed("unknown packet type");
}

}  // namespace

DecodeResult decode(std::string_view buffer, std::size_t max_packet_size) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(buffer.data());
  const std::size_t size = buffer.size();
  if (size == 0) return DecodeResult{};

  // Fixed header byte 1 (2.2.1, 2.2.2): checked before anything else arrives.
  const uint8_t type = bytes[0] >> 4;
  const uint8_t flags = bytes[0] & 0x0F;
  if (type == 0 || type == 15) {
    return fail("bad_packet_type", "packet types 0 and 15 are reserved (2.2.1)");
  }
  const TypeRule rule = type_rules[type];
  if (rule.flags >= 0 && flags != rule.flags) {
    return fail("reserved_flags", std::string(packet_type_name(static_cast<PacketType>(type))) +
                                      " fixed header flags are reserved [MQTT-2.2.2-1]");
  }
  if (type == static_cast<uint8_t>(PacketType::publish)) {
    const uint8_t qos = (flags >> 1) & 0x03;
    if (qos == 3) return fail("bad_qos", "PUBLISH QoS 3 is invalid [MQTT-3.3.1-4]");
    if (qos == 0 && (flags & 0x08)) {
      return fail("bad_dup", "DUP must be 0 for QoS 0 [MQTT-3.3.1-2]");
    }
  }

  // Remaining Length (2.2.3): at most four bytes of seven bits each.
  std::size_t remaining = 0;
  std::size_t pos = 1;
  for (unsigned shift = 0;; shift += 7) {
    if (pos >= size) return DecodeResult{};
    const uint8_t b = bytes[pos++];
    remaining |= static_cast<std::size_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) break;
    if (pos == 5) {
      return fail("bad_remaining_length", "Remaining Length is longer than four bytes (2.2.3)");
    }
  }
  const std::size_t total = pos + remaining;
  if (max_packet_size != 0 && total > max_packet_size) {
    return fail("packet_too_large", "packet of " + std::to_string(total) +
                                        " bytes exceeds the limit of " +
                                        std::to_string(max_packet_size));
  }
  if (rule.body_length >= 0 && remaining != static_cast<std::size_t>(rule.body_length)) {
    return fail("malformed", std::string(packet_type_name(static_cast<PacketType>(type))) +
                                 " Remaining Length must be " + std::to_string(rule.body_length));
  }
  if (size < total) return DecodeResult{};

  DecodeResult result;
  Reader reader(buffer.substr(pos, remaining));
  if (auto s = decode_body(type, flags, reader, result.packet); !s) {
    return fail(s.error().code, s.error().message);
  }
  // Fields end exactly where the Remaining Length says (2.2.3).
  if (!reader.empty()) return fail("malformed", "bytes left over after the last field");
  result.status = DecodeStatus::packet;
  result.consumed = total;
  return result;
}

// ---------------------------------------------------------------- Decoder

void Decoder::feed(std::string_view bytes) {
  if (bytes.empty()) return;
  std::memcpy(prepare(bytes.size()), bytes.data(), bytes.size());
  commit(bytes.size());
}

char* Decoder::prepare(std::size_t n) {
  compact();
  if (capacity_ < size_ + n) {
    // Uninitialised on purpose: the kernel fills it, and zeroing a 64 KiB
    // read buffer per resize would cost more than the read.
    auto bigger = std::make_unique_for_overwrite<char[]>(size_ + n);
    if (size_) std::memcpy(bigger.get(), buf_.get(), size_);
    buf_ = std::move(bigger);
    capacity_ = size_ + n;
  }
  return buf_.get() + size_;
}

void Decoder::commit(std::size_t n) {
  assert(size_ + n <= capacity_);
  size_ += n;
}

DecodeResult Decoder::next() {
  DecodeResult r = decode(std::string_view(buf_.get() + start_, size_ - start_), max_packet_size_);
  if (r.is_packet()) {
    start_ += r.consumed;
    if (start_ == size_) {
      start_ = size_ = 0;
      // Do not keep a large packet's buffer around for an idle connection.
      if (capacity_ > 64 * 1024) shrink_to(0);
    }
  }
  return r;
}

void Decoder::shrink_to(std::size_t keep) {
  if (start_ != size_ || capacity_ <= keep) return;
  start_ = size_ = 0;
  buf_ = keep ? std::make_unique_for_overwrite<char[]>(keep) : nullptr;
  capacity_ = keep;
}

void Decoder::compact() {
  if (start_ == 0) return;
  std::memmove(buf_.get(), buf_.get() + start_, size_ - start_);
  size_ -= start_;
  start_ = 0;
}

// ---------------------------------------------------------------- encoding

namespace {

void put_u8(std::string& out, uint8_t v) {
  out.push_back(static_cast<char>(v));
}

void put_u16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xFF));
}

void put_prefixed(std::string& out, std::string_view s) {
  assert(s.size() <= 0xFFFF);
  put_u16(out, static_cast<uint16_t>(s.size()));
  out.append(s);
}

void put_remaining_length(std::string& out, std::size_t v) {
  assert(v <= max_remaining_length);
  do {
    uint8_t b = v & 0x7F;
    v >>= 7;
    if (v > 0) b |= 0x80;
    out.push_back(static_cast<char>(b));
  } while (v > 0);
}

constexpr uint8_t first_byte(PacketType t, uint8_t flags = 0) {
  return static_cast<uint8_t>((static_cast<uint8_t>(t) << 4) | flags);
}

// Each packet's first byte, Remaining Length and body writer.
struct Encoding {
  std::size_t body_size(const Connect& c) const {
    std::size_t n = 2 + c.protocol_name.size() + 1 + 1 + 2 + 2 + c.client_id.size();
    if (c.will) n += 2 + c.will->topic.size() + 2 + c.will->payload.size();
    if (c.username) n += 2 + c.username->size();
    if (c.password) n += 2 + c.password->size();
    return n;
  }
  uint8_t header(const Connect&) const { return first_byte(PacketType::connect); }
  void body(const Connect& c, std::string& out) const {
    put_prefixed(out, c.protocol_name);
    put_u8(out, c.protocol_level);
    uint8_t flags = c.clean_session ? 0x02 : 0x00;
    if (c.will) {
      flags |= 0x04 | static_cast<uint8_t>(c.will->qos << 3);
      if (c.will->retain) flags |= 0x20;
    }
    if (c.password) flags |= 0x40;
    if (c.username) flags |= 0x80;
    put_u8(out, flags);
    put_u16(out, c.keepalive);
    put_prefixed(out, c.client_id);
    if (c.will) {
      put_prefixed(out, c.will->topic);
      put_prefixed(out, c.will->payload);
    }
    if (c.username) put_prefixed(out, *c.username);
    if (c.password) put_prefixed(out, *c.password);
  }

  std::size_t body_size(const Connack&) const { return 2; }
  uint8_t header(const Connack&) const { return first_byte(PacketType::connack); }
  void body(const Connack& c, std::string& out) const {
    put_u8(out, c.session_present ? 0x01 : 0x00);
    put_u8(out, c.return_code);
  }

  std::size_t body_size(const Publish& p) const {
    return 2 + p.topic.size() + (p.qos > 0 ? 2 : 0) + p.payload.size();
  }
  uint8_t header(const Publish& p) const {
    return first_byte(PacketType::publish, static_cast<uint8_t>((p.dup ? 0x08 : 0) | (p.qos << 1) |
                                                                (p.retain ? 0x01 : 0)));
  }
  void body(const Publish& p, std::string& out) const {
    put_prefixed(out, p.topic);
    if (p.qos > 0) put_u16(out, p.packet_id);
    out.append(p.payload);
  }

  template <typename Ack>
  std::size_t body_size(const Ack&) const {
    return 2;
  }
  uint8_t header(const Puback&) const { return first_byte(PacketType::puback); }
  uint8_t header(const Pubrec&) const { return first_byte(PacketType::pubrec); }
  uint8_t header(const Pubrel&) const { return first_byte(PacketType::pubrel, 0x02); }
  uint8_t header(const Pubcomp&) const { return first_byte(PacketType::pubcomp); }
  uint8_t header(const Unsuback&) const { return first_byte(PacketType::unsuback); }
  template <typename Ack>
  void body(const Ack& a, std::string& out) const {
    put_u16(out, a.packet_id);
  }

  std::size_t body_size(const Subscribe& s) const {
    std::size_t n = 2;
    for (const auto& t : s.topics) n += 2 + t.filter.size() + 1;
    return n;
  }
  uint8_t header(const Subscribe&) const { return first_byte(PacketType::subscribe, 0x02); }
  void body(const Subscribe& s, std::string& out) const {
    put_u16(out, s.packet_id);
    for (const auto& t : s.topics) {
      put_prefixed(out, t.filter);
      put_u8(out, t.qos);
    }
  }

  std::size_t body_size(const Suback& s) const { return 2 + s.return_codes.size(); }
  uint8_t header(const Suback&) const { return first_byte(PacketType::suback); }
  void body(const Suback& s, std::string& out) const {
    put_u16(out, s.packet_id);
    out.append(s.return_codes.begin(), s.return_codes.end());
  }

  std::size_t body_size(const Unsubscribe& u) const {
    std::size_t n = 2;
    for (const auto& f : u.filters) n += 2 + f.size();
    return n;
  }
  uint8_t header(const Unsubscribe&) const { return first_byte(PacketType::unsubscribe, 0x02); }
  void body(const Unsubscribe& u, std::string& out) const {
    put_u16(out, u.packet_id);
    for (const auto& f : u.filters) put_prefixed(out, f);
  }

  std::size_t body_size(const Pingreq&) const { return 0; }
  std::size_t body_size(const Pingresp&) const { return 0; }
  std::size_t body_size(const Disconnect&) const { return 0; }
  uint8_t header(const Pingreq&) const { return first_byte(PacketType::pingreq); }
  uint8_t header(const Pingresp&) const { return first_byte(PacketType::pingresp); }
  uint8_t header(const Disconnect&) const { return first_byte(PacketType::disconnect); }
  void body(const Pingreq&, std::string&) const {}
  void body(const Pingresp&, std::string&) const {}
  void body(const Disconnect&, std::string&) const {}
};

}  // namespace

void encode_to(const Packet& packet, std::string& out) {
  std::visit(
      [&out](const auto& p) {
        constexpr Encoding e;
        const std::size_t n = e.body_size(p);
        out.reserve(out.size() + 1 + remaining_length_size(n) + n);
        put_u8(out, e.header(p));
        put_remaining_length(out, n);
        e.body(p, out);
      },
      packet);
}

std::string encode(const Packet& packet) {
  std::string out;
  encode_to(packet, out);
  return out;
}

std::string encode_publish_header(std::string_view topic, uint8_t qos, bool retain, bool dup,
                                  uint16_t packet_id, std::size_t payload_size) {
  const std::size_t variable = 2 + topic.size() + (qos > 0 ? 2 : 0);
  const std::size_t remaining = variable + payload_size;
  std::string out;
  out.reserve(1 + remaining_length_size(remaining) + variable);
  put_u8(out, first_byte(PacketType::publish, static_cast<uint8_t>((dup ? 0x08 : 0) | (qos << 1) |
                                                                   (retain ? 0x01 : 0))));
  put_remaining_length(out, remaining);
  put_prefixed(out, topic);
  if (qos > 0) put_u16(out, packet_id);
  return out;
}

void set_dup_flag(std::string& publish) {
  if (!publish.empty()) publish[0] = static_cast<char>(publish[0] | 0x08);
}

std::string encoded_remaining_length(std::size_t value) {
  std::string out;
  put_remaining_length(out, value);
  return out;
}

std::size_t remaining_length_size(std::size_t value) {
  if (value < 128) return 1;
  if (value < 16'384) return 2;
  if (value < 2'097'152) return 3;
  return 4;
}

}  // namespace trellis::mqtt
