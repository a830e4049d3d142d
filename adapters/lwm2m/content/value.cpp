#include "adapters/lwm2m/content/value.hpp"

#include <cmath>
#include <limits>

#include "adapters/lwm2m/content/number_text.hpp"

namespace trellis::lwm2m {

std::optional<int64_t> double_to_int64(double d) {
  // 2^63 is exactly representable; anything below it converts without UB.
  if (!std::isfinite(d) || std::trunc(d) != d) return std::nullopt;
  if (d < -9223372036854775808.0 || d >= 9223372036854775808.0) return std::nullopt;
  return static_cast<int64_t>(d);
}

namespace {

using objects::ResourceType;

// An integral double inside [0, 2^64), as uint64.
std::optional<uint64_t> double_to_uint64(double d) {
  if (!std::isfinite(d) || std::trunc(d) != d) return std::nullopt;
  if (d < 0 || d >= 18446744073709551616.0) return std::nullopt;
  return static_cast<uint64_t>(d);
}

std::optional<int64_t> as_int64(const Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* u = std::get_if<uint64_t>(&v)) {
    if (*u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return static_cast<int64_t>(*u);
    }
    return std::nullopt;
  }
  if (const auto* d = std::get_if<double>(&v)) return double_to_int64(*d);
  if (const auto* t = std::get_if<Time>(&v)) return t->seconds;
  return std::nullopt;
}

Error mismatch(const Value& v, ResourceType type) {
  return make_error("type_mismatch", "a " +
                                         std::string(objects::resource_type_name(value_type(v))) +
                                         " value where the model says " +
                                         std::string(objects::resource_type_name(type)));
}

}  // namespace

ResourceType value_type(const Value& v) {
  struct Visitor {
    ResourceType operator()(const std::string&) const { return ResourceType::string; }
    ResourceType operator()(int64_t) const { return ResourceType::integer; }
    ResourceType operator()(uint64_t) const { return ResourceType::unsigned_integer; }
    ResourceType operator()(double) const { return ResourceType::float_; }
    ResourceType operator()(bool) const { return ResourceType::boolean; }
    ResourceType operator()(const Bytes&) const { return ResourceType::opaque; }
    ResourceType operator()(const Time&) const { return ResourceType::time; }
    ResourceType operator()(const ObjLnk&) const { return ResourceType::objlnk; }
    ResourceType operator()(const CoreLnk&) const { return ResourceType::corelnk; }
  };
  return std::visit(Visitor{}, v);
}

Result<Value> coerce(Value v, ResourceType type) {
  if (type == ResourceType::none || value_type(v) == type) return v;
  switch (type) {
    case ResourceType::integer:
      if (std::holds_alternative<Time>(v)) break;
      if (auto i = as_int64(v)) return Value{*i};
      break;
    case ResourceType::time:
      if (auto i = as_int64(v)) return Value{Time{*i}};
      break;
    case ResourceType::unsigned_integer:
      if (const auto* i = std::get_if<int64_t>(&v); i && *i >= 0) {
        return Value{static_cast<uint64_t>(*i)};
      }
      if (const auto* d = std::get_if<double>(&v)) {
        if (auto u = double_to_uint64(*d)) return Value{*u};
      }
      break;
    case ResourceType::float_:
      if (const auto* i = std::get_if<int64_t>(&v)) return Value{static_cast<double>(*i)};
      if (const auto* u = std::get_if<uint64_t>(&v)) return Value{static_cast<double>(*u)};
      break;
    case ResourceType::string:
      if (auto* c = std::get_if<CoreLnk>(&v)) {
        std::string text = std::move(c->text);
        v.emplace<std::string>(std::move(text));
        return v;
      }
      break;
    case ResourceType::corelnk:
      if (auto* s = std::get_if<std::string>(&v)) {
        CoreLnk link{std::move(*s)};
        v.emplace<CoreLnk>(std::move(link));
        return v;
      }
      break;
    default:
      break;
  }
  return mismatch(v, type);
}

std::optional<ResourceType> lookup_type(const TypeLookup& lookup, const Path& path) {
  if (!lookup || path.depth() < 3) return std::nullopt;
  return lookup(path.truncated(3));
}

std::optional<ObjLnk> parse_objlnk(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto object = parse_uint64(text.substr(0, colon));
  const auto instance = parse_uint64(text.substr(colon + 1));
  if (!object || !instance || *object > 0xFFFF || *instance > 0xFFFF) return std::nullopt;
  return ObjLnk{static_cast<uint16_t>(*object), static_cast<uint16_t>(*instance)};
}

std::string format_objlnk(const ObjLnk& link) {
  return std::to_string(link.object_id) + ":" + std::to_string(link.instance_id);
}

bool same_value(const Value& a, const Value& b) {
  const auto* da = std::get_if<double>(&a);
  const auto* db = std::get_if<double>(&b);
  if (da && db && std::isnan(*da) && std::isnan(*db)) return true;
  return a == b;
}

bool same_records(const std::vector<ResourceRecord>& a, const std::vector<ResourceRecord>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].path != b[i].path || a[i].time != b[i].time) return false;
    if (!same_value(a[i].value, b[i].value)) return false;
  }
  return true;
}

Status check_records(const std::vector<ResourceRecord>& records, const Path* base) {
  for (const auto& r : records) {
    if (r.path.depth() < 3) {
      return make_error("bad_record_path",
                        "record " + r.path.to_string() + " is above resource level");
    }
    if (base && !base->contains(r.path)) {
      return make_error("path_outside_base",
                        "record " + r.path.to_string() + " is not under " + base->to_string());
    }
  }
  return Ok{};
}

}  // namespace trellis::lwm2m
