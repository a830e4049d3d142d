#include "adapters/lwm2m/content/senml_cbor.hpp"

#include <cmath>

#include "adapters/lwm2m/content/cbor.hpp"
#include "adapters/lwm2m/content/json_writer.hpp"
#include "adapters/lwm2m/content/senml.hpp"

namespace trellis::lwm2m {
namespace {

using senml::Entry;
using senml::ValueKind;

// RFC 8428, Table 4 (CBOR labels).
enum Label : int64_t {
  kBaseVersion = -1,
  kBaseName = -2,
  kBaseTime = -3,
  kBaseUnit = -4,
  kBaseValue = -5,
  kBaseSum = -6,
  kName = 0,
  kUnit = 1,
  kValue = 2,
  kStringValue = 3,
  kBoolValue = 4,
  kSum = 5,
  kTime = 6,
  kUpdateTime = 7,
  kDataValue = 8,
};
constexpr std::string_view kObjlnkLabel = "vlo";  // LwM2M 1.1 Core, 7.4.4

Error bad_field(const char* what) {
  return make_error("senml_bad_field",
                    std::string("SenML field ") + what + " has the wrong CBOR type");
}

Status set_value(Entry& e, ValueKind kind) {
  if (e.kind != ValueKind::none) {
    return make_error("senml_multiple_values", "SenML record with more than one value");
  }
  e.kind = kind;
  return Ok{};
}

Result<std::variant<int64_t, uint64_t, double>> number(const cbor::Item& it, const char* what) {
  if (it.kind == cbor::Kind::unsigned_int) return {it.number};
  if (it.kind == cbor::Kind::negative_int) {
    auto i = it.as_int64();
    if (!i) return make_error("cbor_int_range", "negative integer below -2^63");
    return {*i};
  }
  if (it.kind == cbor::Kind::float_) return {it.float_value};
  return bad_field(what);
}

Result<double> time_number(const cbor::Item& it, const char* what) {
  auto n = number(it, what);
  if (!n) return n.error();
  return std::visit([](auto v) { return static_cast<double>(v); }, *n);
}

Result<Entry> parse_entry(const cbor::Item& map) {
  if (map.kind != cbor::Kind::map)
    return make_error("senml_bad_record", "SenML record is not a map");
  Entry e;
  std::vector<int64_t> seen;
  bool seen_vlo = false;
  for (std::size_t i = 0; i + 1 < map.items.size(); i += 2) {
    const cbor::Item& key = map.items[i];
    const cbor::Item& val = map.items[i + 1];
    if (key.kind == cbor::Kind::text) {
      if (key.string == kObjlnkLabel) {
        if (seen_vlo) return make_error("senml_duplicate_label", "label vlo twice in a record");
        seen_vlo = true;
        if (val.kind != cbor::Kind::text) return bad_field("vlo");
        if (auto ok = set_value(e, ValueKind::objlnk); !ok) return ok.error();
        e.text = val.string;
      } else if (!key.string.empty() && key.string.back() == '_') {
        return make_error("senml_must_understand", "SenML label '" + key.string + "' unknown");
      }
      continue;
    }
    const auto label = key.as_int64();
    if (!label) return make_error("senml_bad_record", "SenML label is not an integer or text");
    for (const int64_t s : seen) {
      if (s == *label) return make_error("senml_duplicate_label", "label twice in a record");
    }
    seen.push_back(*label);
    switch (*label) {
      case kBaseName:
      case kName:
      case kStringValue: {
        if (val.kind != cbor::Kind::text) return bad_field(*label == kStringValue ? "vs" : "n");
        if (*label == kBaseName) {
          e.base_name = val.string;
        } else if (*label == kName) {
          e.name = val.string;
        } else {
          if (auto ok = set_value(e, ValueKind::string); !ok) return ok.error();
          e.text = val.string;
        }
        break;
      }
      case kBaseTime:
      case kTime: {
        auto t = time_number(val, "t");
        if (!t) return t.error();
        (*label == kBaseTime ? e.base_time : e.time) = *t;
        break;
      }
      case kValue: {
        auto n = number(val, "v");
        if (!n) return n.error();
        if (auto ok = set_value(e, ValueKind::number); !ok) return ok.error();
        e.number = *n;
        break;
      }
      case kBoolValue:
        if (!val.is_bool()) return bad_field("vb");
        if (auto ok = set_value(e, ValueKind::boolean); !ok) return ok.error();
        e.boolean = val.as_bool();
        break;
      case kDataValue:
        if (val.kind != cbor::Kind::bytes) return bad_field("vd");
        if (auto ok = set_value(e, ValueKind::data); !ok) return ok.error();
        e.data.assign(val.string.begin(), val.string.end());
        break;
      case kBaseValue:
      case kBaseSum:
      case kSum:
        return make_error("senml_must_understand", "SenML base value / sum not supported");
      default:
        break;  // bver, units, update time and unknown labels do not change values
    }
  }
  return e;
}

Result<std::vector<ResourceRecord>> decode(std::string_view bytes, const Path* request,
                                           const TypeLookup& lookup) {
  auto doc = cbor::decode(bytes);
  if (!doc) return doc.error();
  if (doc->kind != cbor::Kind::array) {
    return make_error("senml_not_array", "SenML pack is not a CBOR array");
  }
  std::vector<Entry> entries;
  entries.reserve(doc->items.size());
  for (const auto& map : doc->items) {
    auto e = parse_entry(map);
    if (!e) return e.error();
    entries.push_back(std::move(*e));
  }
  return senml::to_records(entries, request, lookup);
}

// Integral times as CBOR integers ({6: -5}), others as the shortest float.
void write_time(cbor::Writer& w, double t) {
  if (std::isfinite(t) && std::trunc(t) == t && std::fabs(t) < 9007199254740992.0) {
    w.signed_int(static_cast<int64_t>(t));
  } else {
    w.float_shortest(t);
  }
}

std::string write(const std::vector<Entry>& entries) {
  cbor::Writer w;
  w.array(entries.size());
  for (const auto& e : entries) {
    const uint64_t fields = (e.base_name ? 1 : 0) + (e.name ? 1 : 0) +
                            (e.kind != ValueKind::none ? 1 : 0) + (e.time ? 1 : 0);
    w.map(fields);
    if (e.base_name) {
      w.signed_int(kBaseName);
      w.text(*e.base_name);
    }
    if (e.name) {
      w.signed_int(kName);
      w.text(*e.name);
    }
    switch (e.kind) {
      case ValueKind::none:
        break;
      case ValueKind::number:
        w.signed_int(kValue);
        if (const auto* i = std::get_if<int64_t>(&e.number)) {
          w.signed_int(*i);
        } else if (const auto* u = std::get_if<uint64_t>(&e.number)) {
          w.unsigned_int(*u);
        } else {
          w.float_shortest(std::get<double>(e.number));
        }
        break;
      case ValueKind::string:
        w.signed_int(kStringValue);
        w.text(e.text);
        break;
      case ValueKind::boolean:
        w.signed_int(kBoolValue);
        w.boolean(e.boolean);
        break;
      case ValueKind::data:
        w.signed_int(kDataValue);
        w.bytes(std::string_view(reinterpret_cast<const char*>(e.data.data()), e.data.size()));
        break;
      case ValueKind::objlnk:
        w.text(kObjlnkLabel);
        w.text(e.text);
        break;
    }
    if (e.time) {
      w.signed_int(kTime);
      write_time(w, *e.time);
    }
  }
  return w.take();
}

Result<std::string> encode(const std::vector<ResourceRecord>& records, const Path* base,
                           const TypeLookup& lookup) {
  auto entries = senml::from_records(records, base, lookup);
  if (!entries) return entries.error();
  for (const auto& e : *entries) {
    // CBOR text strings must be UTF-8 (RFC 8949, 3.1).
    if (e.kind == ValueKind::string && !is_valid_utf8(e.text)) {
      return make_error("invalid_utf8", "string value is not UTF-8");
    }
  }
  return write(*entries);
}

}  // namespace

Result<std::vector<ResourceRecord>> decode_senml_cbor(std::string_view bytes,
                                                      const Path& request_path,
                                                      const TypeLookup& lookup) {
  return decode(bytes, &request_path, lookup);
}

Result<std::vector<ResourceRecord>> decode_senml_cbor(std::string_view bytes,
                                                      const TypeLookup& lookup) {
  return decode(bytes, nullptr, lookup);
}

Result<std::string> encode_senml_cbor(const std::vector<ResourceRecord>& records,
                                      const Path& base_path, const TypeLookup& lookup) {
  return encode(records, &base_path, lookup);
}

Result<std::string> encode_senml_cbor(const std::vector<ResourceRecord>& records,
                                      const TypeLookup& lookup) {
  return encode(records, nullptr, lookup);
}

Result<std::string> encode_senml_cbor_paths(const std::vector<Path>& paths) {
  std::vector<Entry> entries(paths.size());
  for (std::size_t i = 0; i < paths.size(); ++i) entries[i].name = paths[i].to_string();
  return write(entries);
}

}  // namespace trellis::lwm2m
