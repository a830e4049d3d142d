#pragma once
// Single-resource formats (LwM2M 1.1 Core, 7.4.1 and 7.4.2, Appendix C):
// text/plain (content format 0) and application/octet-stream (42). Both carry
// exactly one value for the request path, resource or resource instance.
#include <string>
#include <string_view>
#include <vector>

#include "adapters/lwm2m/content/value.hpp"
#include "core/result.hpp"

namespace trellis::lwm2m {

// Text is typed by the model: Integer / Time as decimal, Unsigned Integer,
// Float in decimal or exponent notation, Boolean "0" / "1", Objlnk "a:b",
// Opaque as base64, String and Corelnk as they are (also when the type is
// unknown). Errors: "path_not_resource", "text_bad_number", "text_bad_boolean",
// "bad_objlnk", base64's.
Result<std::vector<ResourceRecord>> decode_text(std::string_view bytes, const Path& request_path,
                                                const TypeLookup& lookup);
// Errors: "single_value" (not exactly one record), "path_outside_base" (the
// record is not the base path itself), "type_mismatch", "non_finite".
Result<std::string> encode_text(const std::vector<ResourceRecord>& records, const Path& base_path,
                                const TypeLookup& lookup);

// Raw bytes of one Opaque resource.
Result<std::vector<ResourceRecord>> decode_opaque(std::string_view bytes, const Path& request_path,
                                                  const TypeLookup& lookup);
Result<std::string> encode_opaque(const std::vector<ResourceRecord>& records, const Path& base_path,
                                  const TypeLookup& lookup);

// Shared by the single-value formats: exactly one record, at the base path.
Result<Value> single_value(const std::vector<ResourceRecord>& records, const Path& base_path,
                           const TypeLookup& lookup);

}  // namespace trellis::lwm2m
