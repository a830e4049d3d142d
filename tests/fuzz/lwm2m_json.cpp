// Fuzzes the OMA LwM2M JSON decoder, at the root and under /3/0 (where names
// without "bn" are relative), with and without the object model. Whatever
// decodes must re-encode and decode to the same records.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "adapters/lwm2m/content/lwm2m_json.hpp"
#include "lwm2m_fuzz_support.hpp"

using namespace trellis::lwm2m;

namespace {

void check_round_trip(const std::vector<ResourceRecord>& first, const TypeLookup& lookup) {
  auto bytes = encode_lwm2m_json(first, lookup);
  fuzz::require(bytes.ok(), "decoded LwM2M JSON records do not encode");
  auto second = decode_lwm2m_json(*bytes, lookup);
  fuzz::require(second.ok(), "encoded LwM2M JSON does not decode");
  fuzz::require(same_records(first, *second), "LwM2M JSON records differ (root)");

  if (auto base = fuzz::common_base(first)) {
    auto based = encode_lwm2m_json(first, *base, lookup);
    fuzz::require(based.ok(), "LwM2M JSON records do not encode under their base");
    auto third = decode_lwm2m_json(*based, *base, lookup);
    fuzz::require(third.ok(), "LwM2M JSON under a base does not decode");
    fuzz::require(same_records(first, *third), "LwM2M JSON records differ (base)");
  }
}

void check(std::string_view payload, const TypeLookup& lookup) {
  if (auto root = decode_lwm2m_json(payload, lookup)) check_round_trip(*root, lookup);
  Path instance;
  instance.object = 3;
  instance.instance = 0;
  if (auto under = decode_lwm2m_json(payload, instance, lookup)) check_round_trip(*under, lookup);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  check(payload, fuzz::typed_lookup());
  check(payload, fuzz::untyped_lookup());
  return 0;
}
