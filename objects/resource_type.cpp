#include "objects/resource_type.hpp"

#include <array>
#include <cctype>

namespace trellis::objects {
namespace {

struct TypeName {
  ResourceType type;
  std::string_view name;
};

// Spellings of LWM2M-v1_1.xsd. "Corelnk" is the schema's; files and tools also
// write "CoreLnk", which the case-insensitive match accepts.
constexpr std::array<TypeName, 9> kTypeNames{{
    {ResourceType::string, "String"},
    {ResourceType::integer, "Integer"},
    {ResourceType::unsigned_integer, "Unsigned Integer"},
    {ResourceType::float_, "Float"},
    {ResourceType::boolean, "Boolean"},
    {ResourceType::opaque, "Opaque"},
    {ResourceType::time, "Time"},
    {ResourceType::objlnk, "Objlnk"},
    {ResourceType::corelnk, "Corelnk"},
}};

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto ca = static_cast<unsigned char>(a[i]);
    const auto cb = static_cast<unsigned char>(b[i]);
    if (std::tolower(ca) != std::tolower(cb)) return false;
  }
  return true;
}

}  // namespace

std::optional<ResourceType> parse_resource_type(std::string_view text) {
  if (text.empty()) return ResourceType::none;
  for (const auto& entry : kTypeNames) {
    if (equals_ignoring_case(entry.name, text)) return entry.type;
  }
  return std::nullopt;
}

std::string_view resource_type_name(ResourceType t) {
  for (const auto& entry : kTypeNames) {
    if (entry.type == t) return entry.name;
  }
  return {};
}

}  // namespace trellis::objects
