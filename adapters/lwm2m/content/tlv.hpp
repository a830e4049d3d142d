#pragma once
// OMA TLV, application/vnd.oma.lwm2m+tlv, content format 11542 (1542 before
// LwM2M 1.0 final; LwM2M 1.1 Core, 7.4.3). The wire carries no value types:
// the object model's type lookup decides how value bytes read, and a resource
// it does not know stays Opaque.
#include <string>
#include <string_view>
#include <vector>

#include "adapters/lwm2m/content/value.hpp"
#include "core/result.hpp"

namespace trellis::lwm2m {

// The request path says where the payload starts: object instances under an
// object, resources under an instance, resource instances under a multiple
// resource. A TLV naming a level the request already fixes must carry the
// request's id (a client may wrap a Read /3/0 reply in Object Instance 0).
// Errors: "tlv_truncated" (header or value past the end), "tlv_structure" (a
// TLV at a level the context does not allow), "path_outside_request",
// "tlv_bad_length" (integer not 1/2/4/8 bytes, float not 4/8, boolean not 1,
// objlnk not 4), "tlv_bad_boolean".
Result<std::vector<ResourceRecord>> decode_tlv(std::string_view bytes, const Path& request_path,
                                               const TypeLookup& lookup);

// Under an object the records are wrapped in Object Instance TLVs, under an
// instance they are Resource / Multiple Resource TLVs, under a resource a single
// Resource TLV or a Multiple Resource TLV. Consecutive records of one instance or
// one multiple resource share a TLV. Integers take the fewest of 1/2/4/8 bytes,
// floats 4 bytes when a float holds the value exactly. Errors: "path_outside_base",
// "bad_record_path", "tlv_value_too_long" (above 2^24 - 1 bytes), "type_mismatch".
Result<std::string> encode_tlv(const std::vector<ResourceRecord>& records, const Path& base_path,
                               const TypeLookup& lookup);

}  // namespace trellis::lwm2m
