#pragma once
// The SenML record model (RFC 8428) shared by the SenML JSON and SenML CBOR
// formats, and its mapping to LwM2M records (LwM2M 1.1 Core, 7.4.4 / 7.4.6):
// the name is base name + name and must be an LwM2M path at resource level or
// below; the value field picks the wire type, the object model refines it.
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "adapters/lwm2m/content/value.hpp"
#include "core/result.hpp"

namespace trellis::lwm2m::senml {

enum class ValueKind { none, number, string, boolean, data, objlnk };

struct Entry {
  std::optional<std::string> base_name;  // bn
  std::optional<double> base_time;       // bt
  std::optional<std::string> name;       // n
  std::optional<double> time;            // t
  ValueKind kind = ValueKind::none;
  std::variant<int64_t, uint64_t, double> number;  // v
  std::string text;                                // vs, or vlo ("66:0")
  bool boolean = false;                            // vb
  Bytes data;                                      // vd
};

// Resolves names and types. `request` (may be null for the root, as for Send and
// the composite operations) bounds the paths. Errors: "missing_value",
// "bad_record_path", "path_outside_request", "bad_objlnk", "type_mismatch",
// "non_finite_time", and parse_path's.
Result<std::vector<ResourceRecord>> to_records(const std::vector<Entry>& entries,
                                               const Path* request, const TypeLookup& lookup);

// The inverse: the first entry carries the base name (the base path, or none at
// the root where names are absolute), values are coerced to the model's types.
Result<std::vector<Entry>> from_records(const std::vector<ResourceRecord>& records,
                                        const Path* base, const TypeLookup& lookup);

// Composes bn + n per RFC 8428 and checks the result against the request.
Result<Path> resolve_name(const std::string& full, const Path* request);

// Base name / name pair for writing a record path under a base (shared with
// LwM2M JSON). `relative` is what follows the base name.
struct Naming {
  std::string base_name;  // empty at the root
  bool base_is_prefix;    // base name ends with '/', names are relative
};
Naming choose_naming(const std::vector<ResourceRecord>& records, const Path* base);
std::string relative_name(const Path& record, const Path* base, const Naming& naming);

}  // namespace trellis::lwm2m::senml
