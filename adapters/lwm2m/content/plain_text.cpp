#include "adapters/lwm2m/content/plain_text.hpp"

#include "adapters/lwm2m/content/number_text.hpp"
#include "core/text_encoding.hpp"

namespace trellis::lwm2m {
namespace {

using objects::ResourceType;

Status check_resource_path(const Path& p) {
  if (p.depth() < 3) {
    return make_error("path_not_resource",
                      p.to_string() + " is not a resource: a single value needs one");
  }
  return Ok{};
}

Result<Value> parse_text(std::string_view text, std::optional<ResourceType> type) {
  auto bad_number = [&] {
    return make_error("text_bad_number", "'" + std::string(text.substr(0, 32)) +
                                             "' is not a valid " +
                                             std::string(objects::resource_type_name(*type)));
  };
  switch (type.value_or(ResourceType::string)) {
    case ResourceType::integer:
      if (auto v = parse_int64(text)) return Value{*v};
      return bad_number();
    case ResourceType::time:
      if (auto v = parse_int64(text)) return Value{Time{*v}};
      return bad_number();
    case ResourceType::unsigned_integer:
      if (auto v = parse_uint64(text)) return Value{*v};
      return bad_number();
    case ResourceType::float_:
      if (auto v = parse_double(text)) return Value{*v};
      return bad_number();
    case ResourceType::boolean:
      if (text == "1") return Value{true};
      if (text == "0") return Value{false};
      return make_error("text_bad_boolean", "Boolean text is not \"0\" or \"1\"");
    case ResourceType::objlnk:
      if (auto v = parse_objlnk(text)) return Value{*v};
      return make_error("bad_objlnk", "object link is not 'a:b'");
    case ResourceType::opaque: {
      auto bytes = base64_decode(text);
      if (!bytes) return bytes.error();
      return Value{Bytes(bytes->begin(), bytes->end())};
    }
    case ResourceType::corelnk:
      return Value{CoreLnk{std::string(text)}};
    case ResourceType::string:
    case ResourceType::none:
      break;
  }
  return Value{std::string(text)};
}

}  // namespace

Result<Value> single_value(const std::vector<ResourceRecord>& records, const Path& base_path,
                           const TypeLookup& lookup) {
  if (records.size() != 1) {
    return make_error("single_value", "this format carries exactly one value, not " +
                                          std::to_string(records.size()));
  }
  const ResourceRecord& r = records.front();
  if (auto ok = check_resource_path(base_path); !ok) return ok.error();
  if (r.path != base_path) {
    return make_error("path_outside_base",
                      "record " + r.path.to_string() + " is not " + base_path.to_string());
  }
  if (auto type = lookup_type(lookup, r.path)) return coerce(r.value, *type);
  return r.value;
}

Result<std::vector<ResourceRecord>> decode_text(std::string_view bytes, const Path& request_path,
                                                const TypeLookup& lookup) {
  if (auto ok = check_resource_path(request_path); !ok) return ok.error();
  auto value = parse_text(bytes, lookup_type(lookup, request_path));
  if (!value) return value.error();
  return std::vector<ResourceRecord>{{request_path, std::move(*value), std::nullopt}};
}

Result<std::string> encode_text(const std::vector<ResourceRecord>& records, const Path& base_path,
                                const TypeLookup& lookup) {
  auto value = single_value(records, base_path, lookup);
  if (!value) return value.error();
  struct Visitor {
    Result<std::string> operator()(const std::string& s) const { return s; }
    Result<std::string> operator()(const CoreLnk& c) const { return c.text; }
    Result<std::string> operator()(int64_t i) const { return std::to_string(i); }
    Result<std::string> operator()(uint64_t u) const { return std::to_string(u); }
    Result<std::string> operator()(const Time& t) const { return std::to_string(t.seconds); }
    Result<std::string> operator()(double d) const {
      std::string text = format_double(d);
      if (text.empty()) return make_error("non_finite", "text cannot carry NaN or infinity");
      return text;
    }
    Result<std::string> operator()(bool b) const { return std::string(b ? "1" : "0"); }
    Result<std::string> operator()(const Bytes& b) const {
      return base64_encode(b, Base64Alphabet::standard, true);
    }
    Result<std::string> operator()(const ObjLnk& l) const { return format_objlnk(l); }
  };
  return std::visit(Visitor{}, *value);
}

Result<std::vector<ResourceRecord>> decode_opaque(std::string_view bytes, const Path& request_path,
                                                  const TypeLookup&) {
  if (auto ok = check_resource_path(request_path); !ok) return ok.error();
  return std::vector<ResourceRecord>{
      {request_path, Value{Bytes(bytes.begin(), bytes.end())}, std::nullopt}};
}

Result<std::string> encode_opaque(const std::vector<ResourceRecord>& records, const Path& base_path,
                                  const TypeLookup& lookup) {
  auto value = single_value(records, base_path, lookup);
  if (!value) return value.error();
  const auto* bytes = std::get_if<Bytes>(&*value);
  if (!bytes) return make_error("type_mismatch", "application/octet-stream carries Opaque only");
  return std::string(bytes->begin(), bytes->end());
}

}  // namespace trellis::lwm2m
