#pragma once
// One line per event to stderr: UTC time, level, component, then key=value
// pairs. Nothing is formatted when the level is off:
//   TLOG(info, "mqtt") << "client connected" << kv("client", id);
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
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
  // held_back: lines a Limit kept out before this one, said at the end.
  Line(Level level, std::string_view component, std::uint64_t held_back = 0);
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
  std::uint64_t held_back_;
};

// Bounds the lines one call site writes when a peer can set it off at will,
// once per datagram or per message (a malformed datagram, an ack for an
// unknown task): a write(2) per packet costs more than handling the packet,
// and a flood would fill the disk. At most `burst` lines per `period`; the
// next line let through says how many were held back.
class Limit {
 public:
  using Clock = std::chrono::steady_clock;
  explicit Limit(Clock::duration period = std::chrono::seconds(1), std::uint32_t burst = 10);

  // The count held back since the last line let through, or nothing when
  // this line is held back too.
  std::optional<std::uint64_t> admit(Clock::time_point now = Clock::now());

 private:
  const Clock::duration period_;
  const std::uint32_t burst_;
  std::mutex mu_;
  std::optional<Clock::time_point> window_start_;
  std::uint32_t in_window_ = 0;
  std::uint64_t held_back_ = 0;
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

#define TLOG(lvl, component)                                  \
  if (!::trellis::log::enabled(::trellis::log::Level::lvl)) { \
  } else                                                      \
    ::trellis::log::Line(::trellis::log::Level::lvl, component)

// TLOG through a Limit of the call site's own.
#define TLOG_LIMITED(lvl, component)                                                               \
  if (static ::trellis::log::Limit trellis_log_limit;                                              \
      !::trellis::log::enabled(::trellis::log::Level::lvl)) {                                      \
  } else if (const auto trellis_log_admitted = trellis_log_limit.admit(); !trellis_log_admitted) { \
  } else                                                                                           \
    ::trellis::log::Line(::trellis::log::Level::lvl, component, *trellis_log_admitted)
