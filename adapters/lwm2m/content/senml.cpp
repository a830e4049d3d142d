#include "adapters/lwm2m/content/senml.hpp"

#include <cmath>

namespace trellis::lwm2m::senml {
namespace {

using objects::ResourceType;

Value number_value(const std::variant<int64_t, uint64_t, double>& number) {
  if (const auto* u = std::get_if<uint64_t>(&number)) {
    // Untyped integers are Integer where they fit, so "v":5 means the same from
    // JSON (unsigned on the wire) and CBOR (major type 0).
    if (*u <= static_cast<uint64_t>(INT64_MAX)) return Value{static_cast<int64_t>(*u)};
    return Value{*u};
  }
  if (const auto* i = std::get_if<int64_t>(&number)) return Value{*i};
  return Value{std::get<double>(number)};
}

Result<Value> entry_value(const Entry& e, std::optional<ResourceType> type, const Path& path) {
  Value v;
  switch (e.kind) {
    case ValueKind::none:
      return make_error("missing_value", "record " + path.to_string() + " has no value");
    case ValueKind::number:
      v = number_value(e.number);
      break;
    case ValueKind::string:
      v = e.text;
      break;
    case ValueKind::boolean:
      v = e.boolean;
      break;
    case ValueKind::data:
      v = e.data;
      break;
    case ValueKind::objlnk: {
      auto link = parse_objlnk(e.text);
      if (!link) return make_error("bad_objlnk", "object link '" + e.text + "' is not 'a:b'");
      v = *link;
      break;
    }
  }
  if (!type) return v;
  return coerce(std::move(v), *type);
}

}  // namespace

Result<Path> resolve_name(const std::string& full, const Path* request) {
  auto path = parse_path(full);
  if (!path) return path.error();
  if (path->depth() < 3) {
    return make_error("bad_record_path", "record name '" + full + "' is above resource level");
  }
  if (request && !request->contains(*path)) {
    return make_error("path_outside_request",
                      "record " + path->to_string() + " is not under " + request->to_string());
  }
  return path;
}

Result<std::vector<ResourceRecord>> to_records(const std::vector<Entry>& entries,
                                               const Path* request, const TypeLookup& lookup) {
  std::vector<ResourceRecord> out;
  out.reserve(entries.size());
  std::string base_name;
  std::optional<double> base_time;
  for (const auto& e : entries) {
    // Base fields hold for this record and the ones after it (RFC 8428, 4.1).
    if (e.base_name) base_name = *e.base_name;
    if (e.base_time) base_time = *e.base_time;
    const std::string full = base_name + e.name.value_or("");
    auto path = resolve_name(full, request);
    if (!path) return path.error();

    auto value = entry_value(e, lookup_type(lookup, *path), *path);
    if (!value) return value.error();

    ResourceRecord r{*path, std::move(*value), std::nullopt};
    if (base_time || e.time) {
      const double t = base_time.value_or(0) + e.time.value_or(0);
      if (!std::isfinite(t)) return make_error("non_finite_time", "record time is not finite");
      r.time = t;
    }
    out.push_back(std::move(r));
  }
  return out;
}

Naming choose_naming(const std::vector<ResourceRecord>& records, const Path* base) {
  if (!base) return Naming{"", false};
  for (const auto& r : records) {
    if (r.path == *base) return Naming{base->to_string(), false};
  }
  return Naming{base->to_string() + "/", true};
}

std::string relative_name(const Path& record, const Path* base, const Naming& naming) {
  if (!base) return record.to_string();
  if (record == *base) return {};
  // The record's components below the base, "/"-separated.
  std::string rel;
  for (int level = base->depth() + 1; level <= record.depth(); ++level) {
    if (!rel.empty() || !naming.base_is_prefix) rel += '/';
    rel += std::to_string(*record.at(level));
  }
  return rel;
}

Result<std::vector<Entry>> from_records(const std::vector<ResourceRecord>& records,
                                        const Path* base, const TypeLookup& lookup) {
  if (auto ok = check_records(records, base); !ok) return ok.error();
  const Naming naming = choose_naming(records, base);
  std::vector<Entry> out;
  out.reserve(records.size());
  for (const auto& r : records) {
    Entry e;
    if (out.empty() && base) e.base_name = naming.base_name;
    if (std::string rel = relative_name(r.path, base, naming); !rel.empty()) e.name = rel;
    e.time = r.time;

    Value v = r.value;
    if (auto type = lookup_type(lookup, r.path)) {
      auto coerced = coerce(std::move(v), *type);
      if (!coerced) return coerced.error();
      v = std::move(*coerced);
    }
    struct Visitor {
      Entry& e;
      void operator()(const std::string& s) const { set_text(ValueKind::string, s); }
      void operator()(const CoreLnk& c) const { set_text(ValueKind::string, c.text); }
      void operator()(int64_t i) const { set_number(i); }
      void operator()(uint64_t u) const { set_number(u); }
      void operator()(double d) const { set_number(d); }
      void operator()(const Time& t) const { set_number(t.seconds); }
      void operator()(bool b) const {
        e.kind = ValueKind::boolean;
        e.boolean = b;
      }
      void operator()(const Bytes& b) const {
        e.kind = ValueKind::data;
        e.data = b;
      }
      void operator()(const ObjLnk& l) const { set_text(ValueKind::objlnk, format_objlnk(l)); }
      void set_text(ValueKind k, const std::string& s) const {
        e.kind = k;
        e.text = s;
      }
      void set_number(std::variant<int64_t, uint64_t, double> n) const {
        e.kind = ValueKind::number;
        e.number = n;
      }
    };
    std::visit(Visitor{e}, v);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace trellis::lwm2m::senml
