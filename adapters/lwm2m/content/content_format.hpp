#pragma once
// LwM2M content formats by CoAP Content-Format number (LwM2M 1.1 Core, 7.4,
// Table 7.4-1) and one entry point that picks the codec.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/lwm2m/content/path.hpp"
#include "adapters/lwm2m/content/value.hpp"
#include "core/result.hpp"

namespace trellis::lwm2m {

enum class ContentFormat : uint16_t {
  text_plain = 0,
  link_format = 40,
  opaque = 42,
  cbor = 60,
  senml_json = 110,
  senml_cbor = 112,
  tlv = 11542,
  lwm2m_json = 11543,
};

// The numbers LwM2M 1.0 drafts used before IANA registration.
inline constexpr uint16_t kLegacyTlv = 1542;
inline constexpr uint16_t kLegacyJson = 1543;

// Maps a CoAP Content-Format number, legacy aliases included; nullopt if unknown.
std::optional<ContentFormat> content_format_from_number(uint16_t number);
// "text/plain", "application/vnd.oma.lwm2m+tlv", ...
std::string_view content_format_name(ContentFormat f);

// Decodes a payload answering (or sent to) `request_path`. Without a request path
// (the root: Send, composite operations) only SenML JSON / CBOR and LwM2M JSON
// apply. Error "unsupported_format" for link-format and the root with a
// path-bound format.
Result<std::vector<ResourceRecord>> decode(ContentFormat format, std::string_view bytes,
                                           const std::optional<Path>& request_path,
                                           const TypeLookup& lookup);

Result<std::string> encode(ContentFormat format, const std::vector<ResourceRecord>& records,
                           const std::optional<Path>& base_path, const TypeLookup& lookup);

}  // namespace trellis::lwm2m
