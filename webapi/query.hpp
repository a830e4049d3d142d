#pragma once
// Pure parsing of URL pieces and query parameters. Every error is a
// bad_request whose message names the parameter at fault.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace trellis::webapi {

// Percent-decoding (RFC 3986 2.1); in a query '+' also means a space.
Result<std::string> percent_decode(std::string_view s, bool plus_is_space = false);
// One path segment with everything but RFC 3986's unreserved characters
// percent-encoded, so any device id or name fits a URL: "a b/c" -> "a%20b%2Fc".
std::string percent_encode_segment(std::string_view s);
// "a=1&b=x%20y" -> {a: 1, b: "x y"}; a later repeat of a name wins.
Result<std::map<std::string, std::string>> parse_query(std::string_view query);
// Splits "/api/v1/devices?limit=2" into path and query.
std::pair<std::string_view, std::string_view> split_target(std::string_view target);

Result<int64_t> parse_int(std::string_view name, std::string_view value);
// A limit: a whole number from 1; larger than max is cut to max.
Result<std::size_t> parse_limit(std::string_view name, std::string_view value, std::size_t max);
// Milliseconds as a number, or a number with a unit: ms, s, m, h, d ("5m", "1h").
Result<int64_t> parse_interval(std::string_view name, std::string_view value);
// "a,b,c" without empty items.
std::vector<std::string> split_list(std::string_view value);

}  // namespace trellis::webapi
