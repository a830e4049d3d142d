#pragma once
// The few pieces of JSON output the LwM2M JSON and SenML JSON encoders need.
// Written by hand so member order and number spelling are exactly what the
// specification examples show.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace trellis::lwm2m {

bool is_valid_utf8(std::string_view text);

// Appends a quoted, escaped JSON string; error "invalid_utf8" when the text is
// not UTF-8 (JSON text must be, RFC 8259 8.1).
Status append_json_string(std::string& out, std::string_view text);

// A number that reads back as a double even when integral ("3.0", not "3"), so
// a Float stays a Float without the object model; error "non_finite" for NaN and
// infinities.
Status append_json_double(std::string& out, double d);

}  // namespace trellis::lwm2m
