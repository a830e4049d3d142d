#pragma once
// One telemetry value of one device at one time.
#include <cstdint>
#include <string>
#include <variant>

namespace trellis::db {

// Numbers are doubles (JSON numbers); booleans stay booleans.
using Value = std::variant<double, std::string, bool>;

struct Point {
  std::string device_id{};
  std::string key{};
  int64_t ts_ms = 0;
  Value value{};

  bool operator==(const Point&) const = default;
};

}  // namespace trellis::db
