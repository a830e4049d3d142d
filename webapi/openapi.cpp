#include "webapi/openapi.hpp"

#include <algorithm>
#include <cctype>

namespace trellis::webapi {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

nlohmann::json error_schema() {
  return {
      {"type", "object"},
      {"properties",
       {{"error",
         {{"type", "object"},
          {"properties", {{"code", {{"type", "string"}}}, {"message", {{"type", "string"}}}}}}}}}};
}

// A body of this media type: JSON objects, or text (XML, Prometheus).
nlohmann::json content(const std::string& type) {
  nlohmann::json c;
  c[type]["schema"]["type"] = type == "application/json" ? "object" : "string";
  return c;
}

}  // namespace

nlohmann::json openapi_document(const Router& router, const std::string& version) {
  nlohmann::json paths = nlohmann::json::object();
  for (const auto& r : router.routes()) {
    nlohmann::json op;
    op["summary"] = r.summary;
    op["operationId"] = lower(r.method) + r.pattern;
    nlohmann::json params = nlohmann::json::array();
    std::string_view p = r.pattern;
    for (auto open = p.find('{'); open != std::string_view::npos; open = p.find('{', open + 1)) {
      const auto close = p.find('}', open);
      params.push_back({{"name", std::string(p.substr(open + 1, close - open - 1))},
                        {"in", "path"},
                        {"required", true},
                        {"schema", {{"type", "string"}}}});
    }
    for (const auto& q : r.query) {
      params.push_back({{"name", q.name},
                        {"in", "query"},
                        {"required", false},
                        {"description", q.description},
                        {"schema", {{"type", q.type}}}});
    }
    if (!params.empty()) op["parameters"] = params;
    if (r.has_body) {
      op["requestBody"] = {{"required", true}, {"content", content(r.body_type)}};
    }
    nlohmann::json ok = {{"description", "success"}};
    if (r.success_status != 204) ok["content"] = content(r.response_type);
    nlohmann::json error = {{"description", "error"}};
    error["content"]["application/json"]["schema"]["$ref"] = "#/components/schemas/Error";
    op["responses"][std::to_string(r.success_status)] = ok;
    op["responses"]["default"] = error;
    if (r.needs_auth)
      op["security"] = nlohmann::json::array({{{"bearer", nlohmann::json::array()}}});
    if (r.admin_only) {
      op["description"] =
          "Where keys are needed, this takes one of http.api_keys; an application's key gets 403.";
    }
    paths[r.pattern][lower(r.method)] = op;
  }
  return {{"openapi", "3.0.3"},
          {"info", {{"title", "Trellis REST API"}, {"version", version}}},
          {"paths", paths},
          {"components",
           {{"schemas", {{"Error", error_schema()}}},
            {"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}}}}};
}

}  // namespace trellis::webapi
