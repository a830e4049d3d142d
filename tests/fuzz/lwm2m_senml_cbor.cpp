// Fuzzes the SenML CBOR decoder at the root, with and without the object model.
// Whatever decodes must re-encode (absolute names, and under the records'
// common base path) and decode to the same records.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "adapters/lwm2m/content/senml_cbor.hpp"
#include "lwm2m_fuzz_support.hpp"

using namespace trellis::lwm2m;

namespace {

void check(std::string_view payload, const TypeLookup& lookup) {
  auto first = decode_senml_cbor(payload, lookup);
  if (!first) return;
  auto bytes = encode_senml_cbor(*first, lookup);
  fuzz::require(bytes.ok(), "decoded SenML CBOR records do not encode");
  auto second = decode_senml_cbor(*bytes, lookup);
  fuzz::require(second.ok(), "encoded SenML CBOR does not decode");
  fuzz::require(same_records(*first, *second), "SenML CBOR records differ (root)");

  if (auto base = fuzz::common_base(*first)) {
    auto based = encode_senml_cbor(*first, *base, lookup);
    fuzz::require(based.ok(), "SenML CBOR records do not encode under their base");
    auto third = decode_senml_cbor(*based, *base, lookup);
    fuzz::require(third.ok(), "SenML CBOR under a base does not decode");
    fuzz::require(same_records(*first, *third), "SenML CBOR records differ (base)");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  check(payload, fuzz::typed_lookup());
  check(payload, fuzz::untyped_lookup());
  return 0;
}
