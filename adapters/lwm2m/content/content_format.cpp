#include "adapters/lwm2m/content/content_format.hpp"

#include "adapters/lwm2m/content/cbor_value.hpp"
#include "adapters/lwm2m/content/lwm2m_json.hpp"
#include "adapters/lwm2m/content/plain_text.hpp"
#include "adapters/lwm2m/content/senml_cbor.hpp"
#include "adapters/lwm2m/content/senml_json.hpp"
#include "adapters/lwm2m/content/tlv.hpp"

namespace trellis::lwm2m {
namespace {

Error unsupported(ContentFormat f, const char* why) {
  return make_error("unsupported_format", std::string(content_format_name(f)) + ": " + why);
}

}  // namespace

std::optional<ContentFormat> content_format_from_number(uint16_t number) {
  switch (number) {
    case 0:
      return ContentFormat::text_plain;
    case 40:
      return ContentFormat::link_format;
    case 42:
      return ContentFormat::opaque;
    case 60:
      return ContentFormat::cbor;
    case 110:
      return ContentFormat::senml_json;
    case 112:
      return ContentFormat::senml_cbor;
    case 11542:
    case kLegacyTlv:
      return ContentFormat::tlv;
    case 11543:
    case kLegacyJson:
      return ContentFormat::lwm2m_json;
    default:
      return std::nullopt;
  }
}

std::string_view content_format_name(ContentFormat f) {
  switch (f) {
    case ContentFormat::text_plain:
      return "text/plain";
    case ContentFormat::link_format:
      return "application/link-format";
    case ContentFormat::opaque:
      return "application/octet-stream";
    case ContentFormat::cbor:
      return "application/cbor";
    case ContentFormat::senml_json:
      return "application/senml+json";
    case ContentFormat::senml_cbor:
      return "application/senml+cbor";
    case ContentFormat::tlv:
      return "application/vnd.oma.lwm2m+tlv";
    case ContentFormat::lwm2m_json:
      return "application/vnd.oma.lwm2m+json";
  }
  return "unknown";
}

Result<std::vector<ResourceRecord>> decode(ContentFormat format, std::string_view bytes,
                                           const std::optional<Path>& request_path,
                                           const TypeLookup& lookup) {
  if (!request_path) {
    switch (format) {
      case ContentFormat::senml_json:
        return decode_senml_json(bytes, lookup);
      case ContentFormat::senml_cbor:
        return decode_senml_cbor(bytes, lookup);
      case ContentFormat::lwm2m_json:
        return decode_lwm2m_json(bytes, lookup);
      default:
        return unsupported(format, "needs a request path");
    }
  }
  const Path& p = *request_path;
  switch (format) {
    case ContentFormat::text_plain:
      return decode_text(bytes, p, lookup);
    case ContentFormat::opaque:
      return decode_opaque(bytes, p, lookup);
    case ContentFormat::cbor:
      return decode_cbor(bytes, p, lookup);
    case ContentFormat::senml_json:
      return decode_senml_json(bytes, p, lookup);
    case ContentFormat::senml_cbor:
      return decode_senml_cbor(bytes, p, lookup);
    case ContentFormat::tlv:
      return decode_tlv(bytes, p, lookup);
    case ContentFormat::lwm2m_json:
      return decode_lwm2m_json(bytes, p, lookup);
    case ContentFormat::link_format:
      break;
  }
  return unsupported(format, "carries links, not values (use parse_link_format)");
}

Result<std::string> encode(ContentFormat format, const std::vector<ResourceRecord>& records,
                           const std::optional<Path>& base_path, const TypeLookup& lookup) {
  if (!base_path) {
    switch (format) {
      case ContentFormat::senml_json:
        return encode_senml_json(records, lookup);
      case ContentFormat::senml_cbor:
        return encode_senml_cbor(records, lookup);
      case ContentFormat::lwm2m_json:
        return encode_lwm2m_json(records, lookup);
      default:
        return unsupported(format, "needs a base path");
    }
  }
  const Path& p = *base_path;
  switch (format) {
    case ContentFormat::text_plain:
      return encode_text(records, p, lookup);
    case ContentFormat::opaque:
      return encode_opaque(records, p, lookup);
    case ContentFormat::cbor:
      return encode_cbor(records, p, lookup);
    case ContentFormat::senml_json:
      return encode_senml_json(records, p, lookup);
    case ContentFormat::senml_cbor:
      return encode_senml_cbor(records, p, lookup);
    case ContentFormat::tlv:
      return encode_tlv(records, p, lookup);
    case ContentFormat::lwm2m_json:
      return encode_lwm2m_json(records, p, lookup);
    case ContentFormat::link_format:
      break;
  }
  return unsupported(format, "carries links, not values");
}

}  // namespace trellis::lwm2m
