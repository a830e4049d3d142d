#pragma once
// The uplink data payloads of `{device}/messages/json` (DESIGN.md, "MQTT
// devices"), in any of their three forms:
//   1. {"temperature": 23.2, "humidity": 70}                 stamped with now_ms
//   2. {"1349907137000": {"temperature": 23.2}, ...}          keys are ms since epoch
//   3. [{"temperature": [{"timestamp": 1416324560869, "value": 42.2}, ...]}, ...]
// Values are numbers, strings or booleans. All or nothing: any bad part makes
// the whole payload an error whose message names the key at fault.
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "db/point.hpp"

namespace trellis::db {

// Nesting deeper than form 3 needs is refused before it is parsed.
inline constexpr int max_payload_depth = 4;
// Largest time stamp accepted (2^53 ms, the last exact JSON integer).
inline constexpr int64_t max_timestamp_ms = int64_t{1} << 53;

// Points in document order, device_id left empty for the caller to fill.
// Error codes: bad_json, too_deep, bad_shape, no_values, bad_key, bad_value,
// bad_timestamp, bad_entry.
Result<std::vector<Point>> parse_telemetry_payload(std::string_view json, int64_t now_ms);

}  // namespace trellis::db
