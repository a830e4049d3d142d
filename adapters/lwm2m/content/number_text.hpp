#pragma once
// Decimal text for numbers, shared by the plain-text and JSON formats: strict
// parsing (no spaces, no '+', no hex) and shortest round-trip formatting.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trellis::lwm2m {

std::optional<int64_t> parse_int64(std::string_view text);
std::optional<uint64_t> parse_uint64(std::string_view text);
// Decimal or exponent notation; "inf" and "nan" are refused.
std::optional<double> parse_double(std::string_view text);

// The shortest text that reads back as the same double; empty for NaN and
// infinities, which neither text nor JSON can carry.
std::string format_double(double d);

}  // namespace trellis::lwm2m
