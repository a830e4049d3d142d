// Fuzzes the OMA TLV decoder. The first input byte picks the request path
// (bits 0-1: /3, /3/0, /3/0/7 or /3/0/7/1) and whether the object model is known
// (bit 2); the rest is the payload. Whatever decodes must re-encode under the
// same path and decode to the same records.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "adapters/lwm2m/content/tlv.hpp"
#include "lwm2m_fuzz_support.hpp"

using namespace trellis::lwm2m;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);

  Path request;
  request.object = 3;
  const int depth = (mode & 0x03) + 1;
  if (depth >= 2) request.instance = 0;
  if (depth >= 3) request.resource = 7;
  if (depth >= 4) request.resource_instance = 1;
  const TypeLookup& lookup = (mode & 0x04) ? fuzz::typed_lookup() : fuzz::untyped_lookup();

  auto first = decode_tlv(payload, request, lookup);
  if (!first) return 0;
  auto bytes = encode_tlv(*first, request, lookup);
  fuzz::require(bytes.ok(), "decoded TLV records do not encode");
  auto second = decode_tlv(*bytes, request, lookup);
  fuzz::require(second.ok(), "encoded TLV does not decode");
  fuzz::require(same_records(*first, *second), "TLV records differ after re-encoding");
  return 0;
}
