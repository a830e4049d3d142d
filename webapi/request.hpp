#pragma once
// A request as the route handlers see it and the response they give back,
// independent of Beast so routing and handlers are testable without sockets.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/auth.hpp"

namespace trellis::webapi {

struct Request {
  std::string method;                          // "GET", "POST", ...
  std::string path;                            // without the query, as received (percent-encoded)
  std::map<std::string, std::string> query;    // decoded
  std::map<std::string, std::string> params;   // decoded path parameters, by name
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  // The application whose API key let the request in; empty for an
  // administrator (one of http.api_keys, or anyone while no key is needed).
  std::optional<Principal> caller;

  const std::string& param(const std::string& name) const {
    static const std::string empty;
    const auto it = params.find(name);
    return it == params.end() ? empty : it->second;
  }
  const std::string* query_value(const std::string& name) const {
    const auto it = query.find(name);
    return it == query.end() ? nullptr : &it->second;
  }
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Handlers answer through Reply exactly once, from any thread; most answer
// before they return, the LwM2M command waits for the device.
using Reply = std::function<void(Response)>;
using Handler = std::function<void(const Request&, Reply)>;

}  // namespace trellis::webapi
