#pragma once
// application/cbor, content format 60 (LwM2M 1.1 Core, 7.4.7): one resource
// value as one CBOR item. Integer / Unsigned Integer as major types 0 and 1,
// Float as the shortest exact float, Boolean as simple values, String, Corelnk
// and Objlnk ("a:b") as text, Opaque as a byte string, Time as an epoch-based
// date/time (tag 1) around an integer; an untagged integer reads as Time too.
#include <string>
#include <string_view>
#include <vector>

#include "adapters/lwm2m/content/value.hpp"
#include "core/result.hpp"

namespace trellis::lwm2m {

// Errors: the CBOR reader's, "path_not_resource", "cbor_unsupported_item",
// "cbor_int_range", "bad_objlnk", "type_mismatch".
Result<std::vector<ResourceRecord>> decode_cbor(std::string_view bytes, const Path& request_path,
                                                const TypeLookup& lookup);
Result<std::string> encode_cbor(const std::vector<ResourceRecord>& records, const Path& base_path,
                                const TypeLookup& lookup);

}  // namespace trellis::lwm2m
