#pragma once
// SenML JSON, application/senml+json, content format 110 (RFC 8428 and
// LwM2M 1.1 Core, 7.4.4): [{"bn":"/3/0/","n":"0","vs":"Open Mobile Alliance"},...]
#include <string>
#include <string_view>
#include <vector>

#include "adapters/lwm2m/content/value.hpp"
#include "core/result.hpp"

namespace trellis::lwm2m {

// Errors besides those of senml::to_records: "json_syntax", "senml_not_array",
// "senml_bad_record" (an element that is not an object), "senml_bad_field" (a
// field of the wrong JSON type), "senml_multiple_values", "senml_must_understand"
// (an unknown field ending in '_', or bv / bs / s which would change values),
// "non_finite" (a number beyond double range), and base64's for "vd".
Result<std::vector<ResourceRecord>> decode_senml_json(std::string_view bytes,
                                                      const Path& request_path,
                                                      const TypeLookup& lookup);
// Root-level payloads (Send, Read-Composite and Observe-Composite responses).
Result<std::vector<ResourceRecord>> decode_senml_json(std::string_view bytes,
                                                      const TypeLookup& lookup);

Result<std::string> encode_senml_json(const std::vector<ResourceRecord>& records,
                                      const Path& base_path, const TypeLookup& lookup);
// Absolute names, no base name.
Result<std::string> encode_senml_json(const std::vector<ResourceRecord>& records,
                                      const TypeLookup& lookup);

// The name-only request body of Read-Composite / Observe-Composite:
// [{"n":"/3/0/0"},{"n":"/1/0/1"}] (LwM2M 1.1 Core, 7.4.4, Table 7.4.4-6).
Result<std::string> encode_senml_json_paths(const std::vector<Path>& paths);

}  // namespace trellis::lwm2m
