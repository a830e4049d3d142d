#pragma once
// SenML CBOR, application/senml+cbor, content format 112 (RFC 8428, 6 and
// LwM2M 1.1 Core, 7.4.6): the SenML JSON records with integer labels
// (bn -2, bt -3, n 0, v 2, vs 3, vb 4, t 6, vd 8) and the text label "vlo".
#include <string>
#include <string_view>
#include <vector>

#include "adapters/lwm2m/content/value.hpp"
#include "core/result.hpp"

namespace trellis::lwm2m {

// Errors besides the CBOR reader's and senml::to_records': "senml_not_array",
// "senml_bad_record", "senml_bad_field", "senml_duplicate_label",
// "senml_multiple_values", "senml_must_understand", "cbor_int_range".
Result<std::vector<ResourceRecord>> decode_senml_cbor(std::string_view bytes,
                                                      const Path& request_path,
                                                      const TypeLookup& lookup);
Result<std::vector<ResourceRecord>> decode_senml_cbor(std::string_view bytes,
                                                      const TypeLookup& lookup);

Result<std::string> encode_senml_cbor(const std::vector<ResourceRecord>& records,
                                      const Path& base_path, const TypeLookup& lookup);
Result<std::string> encode_senml_cbor(const std::vector<ResourceRecord>& records,
                                      const TypeLookup& lookup);

// [{0: "/3/0/0"}, {0: "/1/0/1"}] for Read-Composite / Observe-Composite.
Result<std::string> encode_senml_cbor_paths(const std::vector<Path>& paths);

}  // namespace trellis::lwm2m
