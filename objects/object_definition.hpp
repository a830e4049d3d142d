#pragma once
// The LwM2M object model as the OMA object XML describes it (LwM2M 1.1 Core,
// Appendix D). Plain values with no transport or JSON attached: the LwM2M
// adapter checks operations against it and the web API serialises it.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "objects/numeric_range.hpp"
#include "objects/operations.hpp"
#include "objects/resource_type.hpp"

namespace trellis::objects {

struct ResourceDefinition {
  uint16_t id = 0;
  std::string name;
  Operations ops;
  bool multiple = false;   // <MultipleInstances>Multiple</MultipleInstances>
  bool mandatory = false;  // <Mandatory>Mandatory</Mandatory>
  ResourceType type = ResourceType::none;
  std::string range_enumeration;  // as written, e.g. "0..100", "16,32,48" or ""
  std::string units;
  std::string description;

  // range_enumeration read as "min..max", when it has that form.
  std::optional<NumericRange> numeric_range() const {
    return parse_numeric_range(range_enumeration);
  }
  friend bool operator==(const ResourceDefinition&, const ResourceDefinition&) = default;
};

struct ObjectDefinition {
  uint16_t id = 0;
  std::string name;
  std::string description;             // <Description1>
  std::string urn;                     // <ObjectURN>, e.g. "urn:oma:lwm2m:ext:3303:1.1"
  std::string object_version = "1.0";  // absent <ObjectVersion> means 1.0
  std::string lwm2m_version = "1.0";   // absent <LWM2MVersion> means 1.0
  bool multiple_instances = false;
  bool mandatory = false;
  std::map<uint16_t, ResourceDefinition> resources;  // by resource id

  const ResourceDefinition* resource(uint16_t resource_id) const {
    const auto it = resources.find(resource_id);
    return it == resources.end() ? nullptr : &it->second;
  }
  friend bool operator==(const ObjectDefinition&, const ObjectDefinition&) = default;
};

}  // namespace trellis::objects
