#pragma once
// OMA LwM2M JSON, application/vnd.oma.lwm2m+json, content format 11543 (1543
// before LwM2M 1.0 final; LwM2M 1.1 Core, 7.4.5):
// {"bn":"/3/0/","e":[{"n":"0","sv":"Open Mobile Alliance"},{"n":"9","v":95}]}
// Values: "v" number, "sv" string (base64 for Opaque), "bv" boolean, "ov"
// object link "a:b"; "bt" / "t" times are kept on the records.
#include <string>
#include <string_view>
#include <vector>

#include "adapters/lwm2m/content/value.hpp"
#include "core/result.hpp"

namespace trellis::lwm2m {

// Without "bn", names are relative to the request path (LwM2M 1.0 payloads).
// Errors: "json_syntax", "json_not_object", "json_missing_e", "json_bad_entry",
// "json_bad_field", "json_multiple_values", "missing_value", "non_finite"
// (a number beyond double range), base64's for an
// Opaque "sv", and those of SenML name resolution ("bad_record_path",
// "path_outside_request", "type_mismatch", "bad_objlnk").
Result<std::vector<ResourceRecord>> decode_lwm2m_json(std::string_view bytes,
                                                      const Path& request_path,
                                                      const TypeLookup& lookup);
Result<std::vector<ResourceRecord>> decode_lwm2m_json(std::string_view bytes,
                                                      const TypeLookup& lookup);

Result<std::string> encode_lwm2m_json(const std::vector<ResourceRecord>& records,
                                      const Path& base_path, const TypeLookup& lookup);
Result<std::string> encode_lwm2m_json(const std::vector<ResourceRecord>& records,
                                      const TypeLookup& lookup);

}  // namespace trellis::lwm2m
