#pragma once
// One line per event to stderr: UTC time, level, component, then key=value
// pairs. Nothing is formatted when the level is off:
//   TLOG(info, "mqtt") << "client connected" << kv("client", id);
#include <atomic>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace trellis::log {

enum class Level : int { trace = 0, debug, info, warn, error, off };

std::optional<Level> parse_level(std::string_view name);
std::string_view level_name(Level l);

void set_level(Level l);
inline std::atomic<int>& level_storage() {
  static std::atomic<int> level{static_cast<int>(Level::info)};
  return level;
}
inline bool enabled(Level l) {
  return static_cast<int>(l) >= level_storage().load(std::memory_order_relaxed);
}

// Collects one line and writes it with a single write(2) when destroyed, so
// lines from several threads never interleave.
class Line {
 public:
  Line(Level level, std::string_view component);
  ~Line();
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;

  template <typename T>
  Line& operator<<(const T& v) {
    out_ << v;
    return *this;
  }

 private:
  std::ostringstream out_;
};

// A key=value pair; values with spaces or quotes are quoted.
struct Kv {
  std::string_view key;
  std::string value;
};
template <typename T>
Kv kv(std::string_view key, const T& value) {
  std::ostringstream s;
  s << value;
  return Kv{key, s.str()};
}
std::ostream& operator<<(std::ostream& os, const Kv& kv);

}  // namespace trellis::log

#define TLOG(lvl, component)                                          \
  if (!::trellis::log::enabled(::trellis::log::Level::lvl)) {         \
  } else                                                              \
    ::trellis::log::Line(::trellis::log::Level::lvl, component)
