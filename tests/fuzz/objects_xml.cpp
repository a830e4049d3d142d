// Fuzzes the LwM2M object XML loader: any bytes must load or yield an error,
// never crash, and whatever loads must keep the model's invariants.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "objects/xml_loader.hpp"

using namespace trellis::objects;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto result = load_xml_string(text, "fuzz.xml");
  if (!result) {
    if (result.error().to_string().empty()) std::abort();
    return 0;
  }
  if (result.value().empty()) std::abort();
  for (const auto& object : result.value()) {
    if (object.name.empty()) std::abort();
    for (const auto& [id, r] : object.resources) {
      if (id != r.id || r.name.empty()) std::abort();
      if (parse_resource_type(resource_type_name(r.type)) != r.type) std::abort();
      if (parse_operations(operations_name(r.ops)) != r.ops) std::abort();
      if (const auto range = r.numeric_range(); range && range->min > range->max) std::abort();
    }
  }
  // The small parsers see the raw bytes too.
  (void)parse_numeric_range(text);
  (void)parse_resource_type(text);
  (void)parse_operations(text);
  return 0;
}
