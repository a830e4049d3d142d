#pragma once
// LwM2M resource data types (LwM2M 1.1 Core, Appendix C), shared by the object
// model and the content-format codecs so both speak of the same types.
#include <optional>
#include <string_view>

namespace trellis::objects {

enum class ResourceType {
  none,  // executable resources carry no value
  string,
  integer,
  unsigned_integer,
  float_,
  boolean,
  opaque,
  time,
  objlnk,
  corelnk,
};

// The spelling used by OMA object XML files (<Type>) and by the EMQX-style JSON
// commands ("String", "Unsigned Integer", ...). Empty text means none.
std::optional<ResourceType> parse_resource_type(std::string_view text);
std::string_view resource_type_name(ResourceType t);

}  // namespace trellis::objects
