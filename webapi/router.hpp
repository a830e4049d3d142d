#pragma once
// The one route table: it drives dispatch and the OpenAPI document, so a
// route cannot be served without being documented. Pure; built once at
// start-up, then read from every session without locks.
#include <string>
#include <vector>

#include "webapi/request.hpp"

namespace trellis::webapi {

struct QueryParam {
  std::string name;
  std::string type;  // OpenAPI schema type: "string", "integer", "boolean"
  std::string description;
};

struct Route {
  std::string method;   // "GET", "POST", "PATCH", "DELETE"
  std::string pattern;  // "/api/v1/devices/{id}": a {name} matches one path segment
  std::string summary;
  Handler handler;
  std::vector<QueryParam> query{};
  bool needs_auth = true;
  bool admin_only = false;  // an application's API key gets 403 (where keys are needed)
  bool has_body = false;    // documented as a JSON (or XML) request body
  std::string body_type = "application/json";
  std::string response_type = "application/json";
  unsigned success_status = 200;  // for the document
};

struct RouteMatch {
  // bad_path: a segment is not valid percent-encoding (named in bad_segment).
  enum class Kind { found, wrong_method, not_found, bad_path } kind = Kind::not_found;
  const Route* route = nullptr;
  std::map<std::string, std::string> params;  // decoded
  std::vector<std::string> allowed;           // methods the path takes (GET brings HEAD)
  std::string bad_segment;
};

class Router {
 public:
  void add(Route r);
  // Matches a percent-encoded path; each segment is decoded after splitting,
  // so "%2F" inside a client id stays in its segment.
  RouteMatch match(const std::string& method, const std::string& path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace trellis::webapi
