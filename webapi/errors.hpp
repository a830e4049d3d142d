#pragma once
// JSON error bodies: {"error": {"code": "not_found", "message": "..."}} with
// the HTTP status that fits the code.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "webapi/request.hpp"

namespace trellis::webapi {

// Error codes of the REST layer itself (the stores add not_found, conflict,
// invalid_argument, unavailable, storage).
namespace code {
inline constexpr std::string_view bad_json = "bad_json";
inline constexpr std::string_view bad_request = "bad_request";
inline constexpr std::string_view unauthorized = "unauthorized";
inline constexpr std::string_view forbidden = "forbidden";
inline constexpr std::string_view not_found = "not_found";
inline constexpr std::string_view method_not_allowed = "method_not_allowed";
inline constexpr std::string_view payload_too_large = "payload_too_large";
inline constexpr std::string_view timeout = "timeout";
inline constexpr std::string_view internal = "internal";
}  // namespace code

Response error_response(unsigned status, std::string_view code, std::string_view message);
// The status for a store's or the API's error code: not_found 404, conflict 409,
// invalid_argument / bad_json / bad_request 400, unauthorized 401, forbidden 403,
// bad_gateway 502, unavailable 503, timeout 504,
// anything else 500.
unsigned status_for(std::string_view code);
Response error_response(const Error& e);

Response json_response(unsigned status, const nlohmann::json& body);

// Parses a request body as JSON; a bad_json error names where it broke.
Result<nlohmann::json> parse_json_body(std::string_view body);

}  // namespace trellis::webapi
