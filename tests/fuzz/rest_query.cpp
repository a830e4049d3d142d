// Feeds arbitrary bytes to what the REST API parses out of a request line
// before any handler runs: the target's path and query, percent-decoding,
// route matching, and the typed query values (limits, intervals, cursors).
// Nothing may throw; what is accepted must be within its documented range.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "db/cursor.hpp"
#include "invariant.hpp"
#include "webapi/query.hpp"
#include "webapi/router.hpp"

namespace {

using namespace trellis;
using namespace trellis::webapi;

using trellis::fuzz::require;

Route route(const char* method, const char* pattern) {
  Route r;
  r.method = method;
  r.pattern = pattern;
  return r;
}

const Router& router() {
  static const Router r = [] {
    Router out;
    for (const char* pattern :
         {"/api/v1/devices", "/api/v1/devices/{id}", "/api/v1/devices/{id}/telemetry",
          "/api/v1/devices/{id}/commands/{uid}", "/api/v1/clients/{client_id}"}) {
      out.add(route("GET", pattern));
    }
    out.add(route("POST", "/api/v1/devices"));
    return out;
  }();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const auto [path, query] = split_target(input);
  require(path.size() + query.size() <= input.size(), "split_target grew the target");
  if (auto q = parse_query(query); !q) require(!q.error().message.empty(), "query error unnamed");
  for (const char* method : {"GET", "POST", "DELETE"}) {
    const auto m = router().match(method, std::string(path));
    require(m.kind != RouteMatch::Kind::found || m.route != nullptr, "found without a route");
    require(m.kind != RouteMatch::Kind::wrong_method || !m.allowed.empty(), "405 without methods");
  }

  const bool plain = input.find_first_of("%+") == std::string_view::npos;
  if (auto d = percent_decode(input, true)) {
    require(d->size() <= input.size(), "percent-decoding grew the text");
    require(!plain || *d == input, "text without escapes changed");
  }
  if (auto n = parse_limit("limit", input, 1000)) require(*n >= 1 && *n <= 1000, "limit range");
  if (auto ms = parse_interval("interval", input)) require(*ms > 0, "interval not positive");
  (void)parse_int("from", input);
  for (const auto& item : split_list(input)) require(!item.empty(), "empty list item");

  for (std::size_t count = 1; count <= 3; ++count) {
    if (auto fields = db::decode_cursor(input, "devices", count)) {
      require(fields->size() == count, "cursor field count");
      const auto again = db::decode_cursor(db::encode_cursor("devices", *fields), "devices", count);
      require(again && *again == *fields, "cursor does not round-trip");
    }
  }
  return 0;
}
