#include "webapi/errors.hpp"

#include "core/json_text.hpp"

namespace trellis::webapi {

Response error_response(unsigned status, std::string_view code, std::string_view message) {
  Response r;
  r.status = status;
  // Messages quote what the client sent (a path, a query): invalid UTF-8 there
  // is replaced, not thrown on.
  r.body = nlohmann::json{{"error", {{"code", code}, {"message", message}}}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

unsigned status_for(std::string_view c) {
  if (c == "not_found") return 404;
  if (c == "conflict") return 409;
  if (c == "invalid_argument" || c == code::bad_json || c == code::bad_request) return 400;
  if (c == code::unauthorized) return 401;
  if (c == code::forbidden) return 403;
  if (c == code::method_not_allowed) return 405;
  if (c == code::payload_too_large) return 413;
  if (c == "bad_gateway") return 502;
  if (c == "unavailable") return 503;
  if (c == code::timeout) return 504;
  return 500;
}

Response error_response(const Error& e) {
  return error_response(status_for(e.code), e.code, e.message);
}

Response json_response(unsigned status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  // Replace invalid UTF-8 (a device's odd string) rather than throw.
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Result<nlohmann::json> parse_json_body(std::string_view body) {
  if (body.empty())
    return make_error(std::string(code::bad_json), "the request body is empty; send JSON");
  if (!json_nesting_within(body)) {
    return make_error(std::string(code::bad_json), "the request body nests deeper than " +
                                                       std::to_string(max_json_depth) + " levels");
  }
  try {
    return nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception& e) {
    // Not only syntax: a number too large for a double (1e400) is out_of_range.
    return make_error(std::string(code::bad_json),
                      "the request body is not valid JSON: " + json_error_text(e));
  }
}

}  // namespace trellis::webapi
