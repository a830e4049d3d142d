#pragma once
// The OpenAPI 3.0 document, generated from the route table.
#include <nlohmann/json.hpp>

#include "webapi/router.hpp"

namespace trellis::webapi {

nlohmann::json openapi_document(const Router& router, const std::string& version);

}  // namespace trellis::webapi
