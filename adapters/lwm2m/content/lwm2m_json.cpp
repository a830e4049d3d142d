#include "adapters/lwm2m/content/lwm2m_json.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "adapters/lwm2m/content/json_writer.hpp"
#include "adapters/lwm2m/content/senml.hpp"
#include "core/text_encoding.hpp"

namespace trellis::lwm2m {
namespace {

using nlohmann::json;
using objects::ResourceType;

Error bad_field(const std::string& key) {
  return make_error("json_bad_field", "JSON field '" + key + "' has the wrong type");
}

std::optional<double> number_of(const json& j) {
  if (!j.is_number()) return std::nullopt;
  return j.get<double>();
}

// One "e" entry's value, typed by the model where it knows the resource.
Result<Value> entry_value(const json& entry, const Path& path, const TypeLookup& lookup) {
  const json* found = nullptr;
  std::string which;
  for (const char* key : {"v", "sv", "bv", "ov"}) {
    if (auto it = entry.find(key); it != entry.end()) {
      if (found) return make_error("json_multiple_values", "JSON entry with more than one value");
      found = &*it;
      which = key;
    }
  }
  if (!found) return make_error("missing_value", "entry " + path.to_string() + " has no value");
  const auto type = lookup_type(lookup, path);

  Value v;
  if (which == "v") {
    if (!found->is_number()) return bad_field(which);
    if (found->is_number_unsigned()) {
      const auto u = found->get<uint64_t>();
      v = u <= static_cast<uint64_t>(INT64_MAX) ? Value{static_cast<int64_t>(u)} : Value{u};
    } else if (found->is_number_integer()) {
      v = found->get<int64_t>();
    } else {
      const double d = found->get<double>();
      if (!std::isfinite(d)) return make_error("non_finite", "JSON value out of range");
      v = d;
    }
  } else if (which == "sv") {
    if (!found->is_string()) return bad_field(which);
    const auto& s = found->get_ref<const std::string&>();
    if (type == ResourceType::opaque) {
      // Opaque travels base64-encoded in "sv" (LwM2M 1.1 Core, 7.4.5).
      auto bytes = base64_decode(s);
      if (!bytes) return bytes.error();
      return Value{Bytes(bytes->begin(), bytes->end())};
    }
    v = s;
  } else if (which == "bv") {
    if (!found->is_boolean()) return bad_field(which);
    v = found->get<bool>();
  } else {
    if (!found->is_string()) return bad_field(which);
    auto link = parse_objlnk(found->get_ref<const std::string&>());
    if (!link) return make_error("bad_objlnk", "object link is not 'a:b'");
    v = *link;
  }
  if (!type) return v;
  return coerce(std::move(v), *type);
}

Result<std::vector<ResourceRecord>> decode(std::string_view bytes, const Path* request,
                                           const TypeLookup& lookup) {
  const json doc = json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (doc.is_discarded()) return make_error("json_syntax", "payload is not JSON");
  if (!doc.is_object()) return make_error("json_not_object", "LwM2M JSON is not an object");

  std::optional<std::string> base_name;
  if (auto it = doc.find("bn"); it != doc.end()) {
    if (!it->is_string()) return bad_field("bn");
    base_name = it->get<std::string>();
  }
  std::optional<double> base_time;
  if (auto it = doc.find("bt"); it != doc.end()) {
    base_time = number_of(*it);
    if (!base_time) return bad_field("bt");
  }
  const auto entries = doc.find("e");
  if (entries == doc.end()) return make_error("json_missing_e", "LwM2M JSON without \"e\"");
  if (!entries->is_array()) return bad_field("e");

  std::vector<ResourceRecord> out;
  out.reserve(entries->size());
  for (const auto& entry : *entries) {
    if (!entry.is_object()) return make_error("json_bad_entry", "\"e\" entry is not an object");
    std::optional<std::string> name;
    if (auto it = entry.find("n"); it != entry.end()) {
      if (!it->is_string()) return bad_field("n");
      name = it->get<std::string>();
    }
    std::string full;
    if (base_name) {
      full = *base_name + name.value_or("");
    } else if (name && !name->empty() && name->front() == '/') {
      full = *name;
    } else if (request) {
      full = request->to_string();
      if (name && !name->empty()) full += "/" + *name;
    } else {
      full = name.value_or("");
    }
    auto path = senml::resolve_name(full, request);
    if (!path) return path.error();
    auto value = entry_value(entry, *path, lookup);
    if (!value) return value.error();

    ResourceRecord r{*path, std::move(*value), std::nullopt};
    std::optional<double> t;
    if (auto it = entry.find("t"); it != entry.end()) {
      t = number_of(*it);
      if (!t) return bad_field("t");
    }
    if (base_time || t) {
      const double sum = base_time.value_or(0) + t.value_or(0);
      if (!std::isfinite(sum)) return make_error("non_finite_time", "entry time is not finite");
      r.time = sum;
    }
    out.push_back(std::move(r));
  }
  return out;
}

Status append_value(std::string& out, const Value& v) {
  struct Visitor {
    std::string& out;
    Status operator()(const std::string& s) const { return text("sv", s); }
    Status operator()(const CoreLnk& c) const { return text("sv", c.text); }
    Status operator()(int64_t i) const { return raw("v", std::to_string(i)); }
    Status operator()(uint64_t u) const { return raw("v", std::to_string(u)); }
    Status operator()(const Time& t) const { return raw("v", std::to_string(t.seconds)); }
    Status operator()(double d) const {
      out += "\"v\":";
      return append_json_double(out, d);
    }
    Status operator()(bool b) const { return raw("bv", b ? "true" : "false"); }
    Status operator()(const Bytes& b) const {
      return raw("sv", '"' + base64_encode(b, Base64Alphabet::standard, true) + '"');
    }
    Status operator()(const ObjLnk& l) const { return text("ov", format_objlnk(l)); }

    Status text(const char* key, const std::string& s) const {
      out += '"';
      out += key;
      out += "\":";
      return append_json_string(out, s);
    }
    Status raw(const char* key, const std::string& s) const {
      out += '"';
      out += key;
      out += "\":";
      out += s;
      return Ok{};
    }
  };
  return std::visit(Visitor{out}, v);
}

Result<std::string> encode(const std::vector<ResourceRecord>& records, const Path* base,
                           const TypeLookup& lookup) {
  if (auto ok = check_records(records, base); !ok) return ok.error();
  const senml::Naming naming = senml::choose_naming(records, base);
  std::string out = "{";
  if (base) {
    out += "\"bn\":";
    if (auto ok = append_json_string(out, naming.base_name); !ok) return ok.error();
    out += ',';
  }
  out += "\"e\":[";
  bool first = true;
  for (const auto& r : records) {
    if (!first) out += ',';
    first = false;
    out += '{';
    if (const std::string rel = senml::relative_name(r.path, base, naming); !rel.empty()) {
      out += "\"n\":";
      if (auto ok = append_json_string(out, rel); !ok) return ok.error();
      out += ',';
    }
    Value v = r.value;
    if (auto type = lookup_type(lookup, r.path)) {
      auto coerced = coerce(std::move(v), *type);
      if (!coerced) return coerced.error();
      v = std::move(*coerced);
    }
    if (auto ok = append_value(out, v); !ok) return ok.error();
    if (r.time) {
      out += ",\"t\":";
      const double t = *r.time;
      if (std::isfinite(t) && std::trunc(t) == t && std::fabs(t) < 9007199254740992.0) {
        out += std::to_string(static_cast<int64_t>(t));
      } else if (auto ok = append_json_double(out, t); !ok) {
        return ok.error();
      }
    }
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace

Result<std::vector<ResourceRecord>> decode_lwm2m_json(std::string_view bytes,
                                                      const Path& request_path,
                                                      const TypeLookup& lookup) {
  return decode(bytes, &request_path, lookup);
}

Result<std::vector<ResourceRecord>> decode_lwm2m_json(std::string_view bytes,
                                                      const TypeLookup& lookup) {
  return decode(bytes, nullptr, lookup);
}

Result<std::string> encode_lwm2m_json(const std::vector<ResourceRecord>& records,
                                      const Path& base_path, const TypeLookup& lookup) {
  return encode(records, &base_path, lookup);
}

Result<std::string> encode_lwm2m_json(const std::vector<ResourceRecord>& records,
                                      const TypeLookup& lookup) {
  return encode(records, nullptr, lookup);
}

}  // namespace trellis::lwm2m
