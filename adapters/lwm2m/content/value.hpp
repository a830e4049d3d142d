#pragma once
// Resource values as the content formats carry them, and the flat record list
// every decoder produces and every encoder takes.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "adapters/lwm2m/content/path.hpp"
#include "core/result.hpp"
#include "objects/resource_type.hpp"

namespace trellis::lwm2m {

using Bytes = std::vector<uint8_t>;

// Seconds since the Unix epoch (LwM2M "Time").
struct Time {
  int64_t seconds = 0;
  friend bool operator==(const Time&, const Time&) = default;
};

// A reference to an object instance, "object:instance" (LwM2M "Objlnk").
struct ObjLnk {
  uint16_t object_id = 0;
  uint16_t instance_id = 0;
  friend bool operator==(const ObjLnk&, const ObjLnk&) = default;
};

// CoRE link-format text (LwM2M 1.1 "Corelnk"), kept apart from plain strings so
// encoders know its type.
struct CoreLnk {
  std::string text;
  friend bool operator==(const CoreLnk&, const CoreLnk&) = default;
};

using Value =
    std::variant<std::string, int64_t, uint64_t, double, bool, Bytes, Time, ObjLnk, CoreLnk>;

// One value at resource or resource-instance level. `time` is the SenML / JSON
// record time (base time + time, seconds) when the payload carried one; it is
// left as sent, so values below 2^28 are relative to "now" (RFC 8428, 4.5.3).
struct ResourceRecord {
  Path path;
  Value value;
  std::optional<double> time;

  friend bool operator==(const ResourceRecord&, const ResourceRecord&) = default;
};

// What the object model says a resource's type is. Called with a resource-level
// path (object/instance/resource). An empty function, or nullopt, means unknown:
// binary formats then keep the raw bytes and typed formats keep the wire type.
using TypeLookup = std::function<std::optional<objects::ResourceType>(const Path&)>;

// The type a value would have in the object model.
objects::ResourceType value_type(const Value& v);

// Converts a value to the model's type where no information is lost (an integral
// double to Integer, an Integer to Time, ...); error "type_mismatch" otherwise.
// ResourceType::none leaves the value as it is.
Result<Value> coerce(Value v, objects::ResourceType type);

// The model's type for a record's resource, if the lookup knows it.
std::optional<objects::ResourceType> lookup_type(const TypeLookup& lookup, const Path& path);

// A whole double within int64's range, converted; nothing otherwise (the
// cast alone would be undefined out of range).
std::optional<int64_t> double_to_int64(double d);

// "66:0" <-> ObjLnk, as text, LwM2M JSON "ov" and SenML "vlo" write it.
std::optional<ObjLnk> parse_objlnk(std::string_view text);
std::string format_objlnk(const ObjLnk& link);

// Equality where NaN equals NaN, for round-trip checks.
bool same_value(const Value& a, const Value& b);
bool same_records(const std::vector<ResourceRecord>& a, const std::vector<ResourceRecord>& b);

// Checks an encoder's input: every record at resource level or deeper and, when
// a base path is given, under it. Error "bad_record_path" / "path_outside_base".
Status check_records(const std::vector<ResourceRecord>& records, const Path* base);

}  // namespace trellis::lwm2m
