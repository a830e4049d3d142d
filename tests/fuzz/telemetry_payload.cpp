// Feeds arbitrary bytes to the uplink telemetry parser. Whatever it accepts
// must be non-empty, with valid keys, finite numbers and time stamps in range,
// and must survive a round trip through payload form 3 unchanged.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>
#include <variant>

#include "db/telemetry_payload.hpp"
#include "invariant.hpp"

namespace {

using namespace trellis::db;

constexpr int64_t now = 1'700'000'000'000;

using trellis::fuzz::require;

nlohmann::json value_json(const Value& v) {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return std::get<bool>(v);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto r = parse_telemetry_payload(input, now);
  if (!r) {
    require(!r.error().code.empty() && !r.error().message.empty(), "error without code or message");
    return 0;
  }
  require(!r->empty(), "accepted a payload with no points");
  nlohmann::json form3 = nlohmann::json::array();
  for (const auto& p : *r) {
    require(!p.key.empty() && p.key.size() <= 256, "key empty or too long");
    require(p.device_id.empty(), "parser filled in a device");
    require(p.ts_ms >= 0 && p.ts_ms <= max_timestamp_ms, "time stamp out of range");
    if (const auto* d = std::get_if<double>(&p.value))
      require(std::isfinite(*d), "non-finite number");
    form3.push_back({{p.key, {{{"timestamp", p.ts_ms}, {"value", value_json(p.value)}}}}});
  }
  auto again = parse_telemetry_payload(form3.dump(), now);
  require(again.ok(), "form 3 rendering of accepted points does not parse");
  require(*again == *r, "form 3 round trip changed the points");
  return 0;
}
