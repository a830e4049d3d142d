#include "adapters/lwm2m/content/senml_json.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "adapters/lwm2m/content/json_writer.hpp"
#include "adapters/lwm2m/content/senml.hpp"
#include "core/text_encoding.hpp"

namespace trellis::lwm2m {
namespace {

using nlohmann::json;
using senml::Entry;
using senml::ValueKind;

Error bad_field(const std::string& key) {
  return make_error("senml_bad_field", "SenML field '" + key + "' has the wrong JSON type");
}

Status set_value(Entry& e, ValueKind kind) {
  if (e.kind != ValueKind::none) {
    return make_error("senml_multiple_values", "SenML record with more than one value");
  }
  e.kind = kind;
  return Ok{};
}

Result<Entry> parse_entry(const json& obj) {
  if (!obj.is_object()) return make_error("senml_bad_record", "SenML record is not an object");
  Entry e;
  for (const auto& [key, val] : obj.items()) {
    if (key == "bn" || key == "n" || key == "vs" || key == "vlo" || key == "vd") {
      if (!val.is_string()) return bad_field(key);
      const auto& s = val.get_ref<const std::string&>();
      if (key == "bn") {
        e.base_name = s;
      } else if (key == "n") {
        e.name = s;
      } else if (key == "vd") {
        if (auto ok = set_value(e, ValueKind::data); !ok) return ok.error();
        auto data = base64_decode(s);
        if (!data) return data.error();
        e.data.assign(data->begin(), data->end());
      } else {
        if (auto ok = set_value(e, key == "vs" ? ValueKind::string : ValueKind::objlnk); !ok) {
          return ok.error();
        }
        e.text = s;
      }
    } else if (key == "bt" || key == "t") {
      if (!val.is_number()) return bad_field(key);
      (key == "bt" ? e.base_time : e.time) = val.get<double>();
    } else if (key == "v") {
      if (!val.is_number()) return bad_field(key);
      if (auto ok = set_value(e, ValueKind::number); !ok) return ok.error();
      if (val.is_number_unsigned()) {
        e.number = val.get<uint64_t>();
      } else if (val.is_number_integer()) {
        e.number = val.get<int64_t>();
      } else {
        // A number too large for a double parses as infinity, which JSON cannot
        // carry back out: refuse it here rather than fail on re-encoding.
        const double d = val.get<double>();
        if (!std::isfinite(d)) return make_error("non_finite", "SenML value out of range");
        e.number = d;
      }
    } else if (key == "vb") {
      if (!val.is_boolean()) return bad_field(key);
      if (auto ok = set_value(e, ValueKind::boolean); !ok) return ok.error();
      e.boolean = val.get<bool>();
    } else if (key == "bv" || key == "bs" || key == "s" || (!key.empty() && key.back() == '_')) {
      return make_error("senml_must_understand", "SenML field '" + key + "' is not supported");
    }
    // Other fields (bver, u, bu, ut, ...) do not change LwM2M values.
  }
  return e;
}

Result<std::vector<ResourceRecord>> decode(std::string_view bytes, const Path* request,
                                           const TypeLookup& lookup) {
  const json doc = json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (doc.is_discarded()) return make_error("json_syntax", "payload is not JSON");
  if (!doc.is_array()) return make_error("senml_not_array", "SenML pack is not a JSON array");
  std::vector<Entry> entries;
  entries.reserve(doc.size());
  for (const auto& obj : doc) {
    auto e = parse_entry(obj);
    if (!e) return e.error();
    entries.push_back(std::move(*e));
  }
  return senml::to_records(entries, request, lookup);
}

// Integral times as integers ("t":-5), as the specification's examples write them.
Status append_time(std::string& out, double t) {
  if (std::isfinite(t) && std::trunc(t) == t && std::fabs(t) < 9007199254740992.0) {
    out += std::to_string(static_cast<int64_t>(t));
    return Ok{};
  }
  return append_json_double(out, t);
}

Status append_entry(std::string& out, const Entry& e) {
  out += '{';
  bool first = true;
  auto key = [&](const char* k) {
    if (!first) out += ',';
    first = false;
    out += '"';
    out += k;
    out += "\":";
  };
  if (e.base_name) {
    key("bn");
    if (auto ok = append_json_string(out, *e.base_name); !ok) return ok;
  }
  if (e.name) {
    key("n");
    if (auto ok = append_json_string(out, *e.name); !ok) return ok;
  }
  switch (e.kind) {
    case ValueKind::none:
      break;
    case ValueKind::number:
      key("v");
      if (const auto* i = std::get_if<int64_t>(&e.number)) {
        out += std::to_string(*i);
      } else if (const auto* u = std::get_if<uint64_t>(&e.number)) {
        out += std::to_string(*u);
      } else if (auto ok = append_json_double(out, std::get<double>(e.number)); !ok) {
        return ok;
      }
      break;
    case ValueKind::string:
      key("vs");
      if (auto ok = append_json_string(out, e.text); !ok) return ok;
      break;
    case ValueKind::boolean:
      key("vb");
      out += e.boolean ? "true" : "false";
      break;
    case ValueKind::data:
      key("vd");
      out += '"' + base64_encode(e.data, Base64Alphabet::url, false) + '"';
      break;
    case ValueKind::objlnk:
      key("vlo");
      if (auto ok = append_json_string(out, e.text); !ok) return ok;
      break;
  }
  if (e.time) {
    key("t");
    if (auto ok = append_time(out, *e.time); !ok) return ok;
  }
  out += '}';
  return Ok{};
}

Result<std::string> write(const std::vector<Entry>& entries) {
  std::string out = "[";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i > 0) out += ',';
    if (auto ok = append_entry(out, entries[i]); !ok) return ok.error();
  }
  out += ']';
  return out;
}

Result<std::string> encode(const std::vector<ResourceRecord>& records, const Path* base,
                           const TypeLookup& lookup) {
  auto entries = senml::from_records(records, base, lookup);
  if (!entries) return entries.error();
  return write(*entries);
}

}  // namespace

Result<std::vector<ResourceRecord>> decode_senml_json(std::string_view bytes,
                                                      const Path& request_path,
                                                      const TypeLookup& lookup) {
  return decode(bytes, &request_path, lookup);
}

Result<std::vector<ResourceRecord>> decode_senml_json(std::string_view bytes,
                                                      const TypeLookup& lookup) {
  return decode(bytes, nullptr, lookup);
}

Result<std::string> encode_senml_json(const std::vector<ResourceRecord>& records,
                                      const Path& base_path, const TypeLookup& lookup) {
  return encode(records, &base_path, lookup);
}

Result<std::string> encode_senml_json(const std::vector<ResourceRecord>& records,
                                      const TypeLookup& lookup) {
  return encode(records, nullptr, lookup);
}

Result<std::string> encode_senml_json_paths(const std::vector<Path>& paths) {
  std::vector<Entry> entries(paths.size());
  for (std::size_t i = 0; i < paths.size(); ++i) entries[i].name = paths[i].to_string();
  return write(entries);
}

}  // namespace trellis::lwm2m
