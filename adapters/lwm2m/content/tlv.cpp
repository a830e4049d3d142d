#include "adapters/lwm2m/content/tlv.hpp"

#include <cmath>
#include <cstring>
#include <limits>

namespace trellis::lwm2m {
namespace {

using objects::ResourceType;

// Bits 7-6 of the type byte (LwM2M 1.1 Core, 7.4.3, Table 7.4.3-1).
enum class Kind : uint8_t {
  object_instance = 0,    // 00: contains Resource / Multiple Resource TLVs
  resource_instance = 1,  // 01: a value
  multiple_resource = 2,  // 10: contains Resource Instance TLVs
  resource = 3,           // 11: a value
};

// The path level a TLV kind names: 2 instance, 3 resource, 4 resource instance.
int level_of(Kind k) {
  switch (k) {
    case Kind::object_instance:
      return 2;
    case Kind::resource:
    case Kind::multiple_resource:
      return 3;
    case Kind::resource_instance:
      return 4;
  }
  return 0;
}

struct Header {
  Kind kind;
  uint16_t id;
  std::string_view value;
};

Error truncated() {
  return make_error("tlv_truncated", "TLV runs past the end of the payload");
}

// Reads one TLV at `pos`, advancing it.
Result<Header> read_header(std::string_view bytes, std::size_t& pos) {
  auto byte = [&](std::size_t i) { return static_cast<uint8_t>(bytes[i]); };
  if (pos >= bytes.size()) return truncated();
  const uint8_t type = byte(pos++);
  Header h;
  h.kind = static_cast<Kind>(type >> 6);
  const std::size_t id_len = (type & 0x20) ? 2 : 1;
  const std::size_t len_len = (type >> 3) & 0x03;
  if (bytes.size() - pos < id_len + len_len) return truncated();
  h.id = id_len == 2 ? static_cast<uint16_t>((byte(pos) << 8) | byte(pos + 1)) : byte(pos);
  pos += id_len;
  std::size_t length = 0;
  if (len_len == 0) {
    length = type & 0x07;  // bits 2-0 hold the length; otherwise they are ignored
  } else {
    for (std::size_t i = 0; i < len_len; ++i) length = (length << 8) | byte(pos + i);
    pos += len_len;
  }
  if (bytes.size() - pos < length) return truncated();
  h.value = bytes.substr(pos, length);
  pos += length;
  return h;
}

Error bad_length(const char* what, std::size_t n) {
  return make_error("tlv_bad_length",
                    std::string(what) + " value of " + std::to_string(n) + " bytes");
}

uint64_t big_endian(std::string_view b) {
  uint64_t v = 0;
  for (const char c : b) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

bool integer_length(std::size_t n) {
  return n == 1 || n == 2 || n == 4 || n == 8;
}

int64_t signed_big_endian(std::string_view b) {
  const uint64_t u = big_endian(b);
  const unsigned bits = static_cast<unsigned>(b.size() * 8);
  if (bits == 64) return static_cast<int64_t>(u);
  // Sign-extend from the top bit of the field.
  const uint64_t sign = uint64_t{1} << (bits - 1);
  return static_cast<int64_t>((u ^ sign) - sign);
}

Result<Value> read_value(std::string_view b, std::optional<ResourceType> type) {
  switch (type.value_or(ResourceType::opaque)) {
    case ResourceType::string:
      return Value{std::string(b)};
    case ResourceType::corelnk:
      return Value{CoreLnk{std::string(b)}};
    case ResourceType::integer:
      if (!integer_length(b.size())) return bad_length("Integer", b.size());
      return Value{signed_big_endian(b)};
    case ResourceType::time:
      if (!integer_length(b.size())) return bad_length("Time", b.size());
      return Value{Time{signed_big_endian(b)}};
    case ResourceType::unsigned_integer:
      if (!integer_length(b.size())) return bad_length("Unsigned Integer", b.size());
      return Value{big_endian(b)};
    case ResourceType::float_:
      if (b.size() == 4) {
        const auto bits = static_cast<uint32_t>(big_endian(b));
        float f;
        std::memcpy(&f, &bits, sizeof f);
        return Value{static_cast<double>(f)};
      }
      if (b.size() == 8) {
        const uint64_t bits = big_endian(b);
        double d;
        std::memcpy(&d, &bits, sizeof d);
        return Value{d};
      }
      return bad_length("Float", b.size());
    case ResourceType::boolean:
      if (b.size() != 1) return bad_length("Boolean", b.size());
      if (b[0] != 0 && b[0] != 1) return make_error("tlv_bad_boolean", "Boolean is not 0 or 1");
      return Value{b[0] == 1};
    case ResourceType::objlnk:
      if (b.size() != 4) return bad_length("Objlnk", b.size());
      return Value{ObjLnk{static_cast<uint16_t>(big_endian(b.substr(0, 2))),
                          static_cast<uint16_t>(big_endian(b.substr(2, 2)))}};
    case ResourceType::opaque:
    case ResourceType::none:
      break;
  }
  return Value{Bytes(b.begin(), b.end())};
}

class Decoder {
 public:
  Decoder(const Path& request, const TypeLookup& lookup) : request_(request), lookup_(lookup) {}

  // `parent` is the path the enclosing TLVs have built; `parent_level` the level
  // of the enclosing TLV (0 at the top of the payload).
  Status list(std::string_view bytes, const Path& parent, int parent_level) {
    std::size_t pos = 0;
    while (pos < bytes.size()) {
      auto h = read_header(bytes, pos);
      if (!h) return h.error();
      if (auto ok = one(*h, parent, parent_level); !ok) return ok;
    }
    return Ok{};
  }

  std::vector<ResourceRecord> take() { return std::move(out_); }

 private:
  Status one(const Header& h, const Path& parent, int parent_level) {
    const int level = level_of(h.kind);
    const int request_depth = request_.depth();
    // Nested TLVs go exactly one level down; at the top, no deeper than one
    // level below the request.
    const bool fits = parent_level == 0 ? level <= request_depth + 1 : level == parent_level + 1;
    if (!fits) return structure("TLV at an unexpected level");
    if (level <= request_depth && request_.at(level) != h.id) {
      return make_error("path_outside_request", "TLV id " + std::to_string(h.id) +
                                                    " does not match " + request_.to_string());
    }
    Path path = parent.truncated(level - 1);
    switch (level) {
      case 2:
        path.instance = h.id;
        break;
      case 3:
        path.resource = h.id;
        break;
      default:
        path.resource_instance = h.id;
        break;
    }
    if (path.depth() != level) return structure("TLV below a level the path lacks");

    if (h.kind == Kind::object_instance || h.kind == Kind::multiple_resource) {
      return list(h.value, path, level);
    }
    // A value must land at or below the request: a Resource TLV cannot answer a
    // request for one of its instances.
    if (level < request_depth) return structure("value TLV above the requested path");
    auto value = read_value(h.value, lookup_type(lookup_, path));
    if (!value) return value.error();
    out_.push_back(ResourceRecord{path, std::move(*value), std::nullopt});
    return Ok{};
  }

  static Error structure(const char* what) { return make_error("tlv_structure", what); }

  const Path& request_;
  const TypeLookup& lookup_;
  std::vector<ResourceRecord> out_;
};

// ---- encoding ----

void append_tlv(std::string& out, Kind kind, uint16_t id, std::string_view value) {
  uint8_t type = static_cast<uint8_t>(static_cast<uint8_t>(kind) << 6);
  if (id > 0xFF) type |= 0x20;
  const std::size_t n = value.size();
  int len_len = 0;
  if (n < 8) {
    type |= static_cast<uint8_t>(n);
  } else if (n <= 0xFF) {
    len_len = 1;
  } else if (n <= 0xFFFF) {
    len_len = 2;
  } else {
    len_len = 3;
  }
  type |= static_cast<uint8_t>(len_len << 3);
  out += static_cast<char>(type);
  if (id > 0xFF) out += static_cast<char>(id >> 8);
  out += static_cast<char>(id & 0xFF);
  for (int i = len_len - 1; i >= 0; --i) out += static_cast<char>((n >> (8 * i)) & 0xFF);
  out += value;
}

std::string big_endian_bytes(uint64_t v, int n) {
  std::string out(static_cast<std::size_t>(n), '\0');
  for (int i = n - 1; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
  return out;
}

std::string signed_bytes(int64_t v) {
  for (const int n : {1, 2, 4}) {
    const int64_t lo = -(int64_t{1} << (8 * n - 1));
    const int64_t hi = (int64_t{1} << (8 * n - 1)) - 1;
    if (v >= lo && v <= hi) return big_endian_bytes(static_cast<uint64_t>(v), n);
  }
  return big_endian_bytes(static_cast<uint64_t>(v), 8);
}

std::string unsigned_bytes(uint64_t v) {
  for (const int n : {1, 2, 4}) {
    if (v < (uint64_t{1} << (8 * n))) return big_endian_bytes(v, n);
  }
  return big_endian_bytes(v, 8);
}

std::string value_bytes(const Value& v) {
  struct Visitor {
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(const CoreLnk& c) const { return c.text; }
    std::string operator()(int64_t i) const { return signed_bytes(i); }
    std::string operator()(uint64_t u) const { return unsigned_bytes(u); }
    std::string operator()(const Time& t) const { return signed_bytes(t.seconds); }
    std::string operator()(double d) const {
      // Four bytes when a float holds the value exactly; NaN keeps its eight.
      const bool in_range = std::isinf(d) || std::fabs(d) <= std::numeric_limits<float>::max();
      if (!std::isnan(d) && in_range && static_cast<double>(static_cast<float>(d)) == d) {
        const auto f = static_cast<float>(d);
        uint32_t bits;
        std::memcpy(&bits, &f, sizeof bits);
        return big_endian_bytes(bits, 4);
      }
      uint64_t bits;
      std::memcpy(&bits, &d, sizeof bits);
      return big_endian_bytes(bits, 8);
    }
    std::string operator()(bool b) const { return std::string(1, b ? '\1' : '\0'); }
    std::string operator()(const Bytes& b) const { return std::string(b.begin(), b.end()); }
    std::string operator()(const ObjLnk& l) const {
      return big_endian_bytes(l.object_id, 2) + big_endian_bytes(l.instance_id, 2);
    }
  };
  return std::visit(Visitor{}, v);
}

constexpr std::size_t kMaxValue = 0xFFFFFF;  // a 24-bit length field

Status too_long() {
  return make_error("tlv_value_too_long", "TLV value longer than 2^24 - 1 bytes");
}

class Encoder {
 public:
  Encoder(const std::vector<ResourceRecord>& records, const Path& base, const TypeLookup& lookup)
      : records_(records), base_(base), lookup_(lookup) {}

  Result<std::string> run() {
    if (auto ok = check_records(records_, &base_); !ok) return ok.error();
    std::string out;
    std::size_t i = 0;
    while (i < records_.size()) {
      Status ok = Ok{};
      if (base_.depth() == 1) {
        ok = instance(out, i);
      } else {
        ok = resource(out, i);
      }
      if (!ok) return ok.error();
    }
    return out;
  }

 private:
  // Consecutive records of one object instance, as one Object Instance TLV.
  Status instance(std::string& out, std::size_t& i) {
    const uint16_t id = *records_[i].path.instance;
    std::string body;
    while (i < records_.size() && *records_[i].path.instance == id) {
      if (auto ok = resource(body, i); !ok) return ok;
    }
    if (body.size() > kMaxValue) return too_long();
    append_tlv(out, Kind::object_instance, id, body);
    return Ok{};
  }

  // One resource: a Resource TLV, or consecutive instances of one resource as a
  // Multiple Resource TLV (a bare Resource Instance TLV under an instance path).
  Status resource(std::string& out, std::size_t& i) {
    const Path& first = records_[i].path;
    if (!first.resource_instance) {
      auto bytes = encoded(records_[i]);
      if (!bytes) return bytes.error();
      append_tlv(out, Kind::resource, *first.resource, *bytes);
      ++i;
      return Ok{};
    }
    if (base_.depth() == 4) {
      auto bytes = encoded(records_[i]);
      if (!bytes) return bytes.error();
      append_tlv(out, Kind::resource_instance, *first.resource_instance, *bytes);
      ++i;
      return Ok{};
    }
    const Path resource_path = first.truncated(3);
    std::string body;
    while (i < records_.size() && records_[i].path.resource_instance &&
           records_[i].path.truncated(3) == resource_path) {
      const ResourceRecord& r = records_[i];
      auto bytes = encoded(r);
      if (!bytes) return bytes.error();
      append_tlv(body, Kind::resource_instance, *r.path.resource_instance, *bytes);
      ++i;
    }
    if (body.size() > kMaxValue) return too_long();
    append_tlv(out, Kind::multiple_resource, *resource_path.resource, body);
    return Ok{};
  }

  Result<std::string> encoded(const ResourceRecord& r) const {
    Value v = r.value;
    if (auto type = lookup_type(lookup_, r.path)) {
      auto coerced = coerce(std::move(v), *type);
      if (!coerced) return coerced.error();
      v = std::move(*coerced);
    }
    std::string bytes = value_bytes(v);
    if (bytes.size() > kMaxValue) return too_long().error();
    return bytes;
  }

  const std::vector<ResourceRecord>& records_;
  const Path& base_;
  const TypeLookup& lookup_;
};

}  // namespace

Result<std::vector<ResourceRecord>> decode_tlv(std::string_view bytes, const Path& request_path,
                                               const TypeLookup& lookup) {
  Decoder d(request_path, lookup);
  if (auto ok = d.list(bytes, request_path, 0); !ok) return ok.error();
  return d.take();
}

Result<std::string> encode_tlv(const std::vector<ResourceRecord>& records, const Path& base_path,
                               const TypeLookup& lookup) {
  return Encoder(records, base_path, lookup).run();
}

}  // namespace trellis::lwm2m
