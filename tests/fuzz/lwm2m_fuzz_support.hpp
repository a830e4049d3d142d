#pragma once
// Shared by the LwM2M content-format fuzz targets: a type lookup that covers
// every resource type (by resource id modulo 10), the round-trip check, and the
// common path a set of records lies under.
#include <optional>
#include <vector>

#include "adapters/lwm2m/content/value.hpp"
#include "invariant.hpp"

namespace trellis::lwm2m::fuzz {

inline std::optional<objects::ResourceType> type_by_resource(const Path& p) {
  using objects::ResourceType;
  switch (p.resource.value_or(0) % 10) {
    case 1:
      return ResourceType::string;
    case 2:
      return ResourceType::integer;
    case 3:
      return ResourceType::unsigned_integer;
    case 4:
      return ResourceType::float_;
    case 5:
      return ResourceType::boolean;
    case 6:
      return ResourceType::opaque;
    case 7:
      return ResourceType::time;
    case 8:
      return ResourceType::objlnk;
    case 9:
      return ResourceType::corelnk;
    default:
      return std::nullopt;  // unknown to the model
  }
}

inline const TypeLookup& typed_lookup() {
  static const TypeLookup lookup = type_by_resource;
  return lookup;
}

inline const TypeLookup& untyped_lookup() {
  static const TypeLookup lookup;
  return lookup;
}

using trellis::fuzz::require;

// The deepest path every record lies under, if they share an object.
inline std::optional<Path> common_base(const std::vector<ResourceRecord>& records) {
  if (records.empty()) return std::nullopt;
  Path base = records.front().path;
  for (const auto& r : records) {
    while (!base.contains(r.path)) {
      if (base.depth() == 1) return std::nullopt;
      base = base.truncated(base.depth() - 1);
    }
  }
  return base;
}

}  // namespace trellis::lwm2m::fuzz
