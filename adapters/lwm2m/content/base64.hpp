#pragma once
// Base64 (RFC 4648): the standard alphabet with padding for LwM2M JSON "sv" and
// plain-text Opaque values, base64url without padding for SenML "vd"
// (RFC 8428, 4.3).
#include <string>
#include <string_view>

#include "adapters/lwm2m/content/value.hpp"
#include "core/result.hpp"

namespace trellis::lwm2m {

enum class Base64Alphabet { standard, url };

std::string base64_encode(const Bytes& bytes, Base64Alphabet alphabet, bool pad);

// Accepts either alphabet, with or without padding. Rejects other characters
// ("base64_bad_char"), a lone trailing character or wrong padding
// ("base64_bad_length") and leftover bits that are not zero
// ("base64_trailing_bits"), so every accepted text has one meaning.
Result<Bytes> base64_decode(std::string_view text);

}  // namespace trellis::lwm2m
