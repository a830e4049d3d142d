#include "core/log.hpp"

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <utility>

namespace trellis::log {

std::optional<Level> parse_level(std::string_view name) {
  if (name == "trace") return Level::trace;
  if (name == "debug") return Level::debug;
  if (name == "info") return Level::info;
  if (name == "warn") return Level::warn;
  if (name == "error") return Level::error;
  if (name == "off") return Level::off;
  return std::nullopt;
}

std::string_view level_name(Level l) {
  switch (l) {
    case Level::trace:
      return "TRACE";
    case Level::debug:
      return "DEBUG";
    case Level::info:
      return "INFO";
    case Level::warn:
      return "WARN";
    case Level::error:
      return "ERROR";
    case Level::off:
      return "OFF";
  }
  return "?";
}

void set_level(Level l) {
  level_storage().store(static_cast<int>(l));
}

Line::Line(Level level, std::string_view component, std::uint64_t held_back)
    : held_back_(held_back) {
  using namespace std::chrono;
  auto now = system_clock::now();
  std::time_t secs = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::size_t n = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(stamp + n, sizeof stamp - n, ".%03dZ", static_cast<int>(ms));
  out_ << stamp << ' ' << level_name(level) << ' ' << component << ": ";
}

Line::~Line() {
  if (held_back_ > 0) out_ << " held_back=" << held_back_;
  out_ << '\n';
  std::string s = out_.str();
  // A short write to stderr is not worth retrying: logging must never block the caller.
  [[maybe_unused]] auto r = ::write(STDERR_FILENO, s.data(), s.size());
}

Limit::Limit(Clock::duration period, std::uint32_t burst) : period_(period), burst_(burst) {}

std::optional<std::uint64_t> Limit::admit(Clock::time_point now) {
  std::lock_guard lock(mu_);
  if (!window_start_ || now - *window_start_ >= period_) {
    window_start_ = now;
    in_window_ = 0;
  }
  if (in_window_ >= burst_) {
    ++held_back_;
    return std::nullopt;
  }
  ++in_window_;
  return std::exchange(held_back_, 0);
}

std::ostream& operator<<(std::ostream& os, const Kv& kv) {
  os << ' ' << kv.key << '=';
  if (kv.value.empty() || kv.value.find_first_of(" \"=") != std::string::npos) {
    os << '"';
    for (char c : kv.value) {
      if (c == '"' || c == '\\') os << '\\';
      os << c;
    }
    os << '"';
  } else {
    os << kv.value;
  }
  return os;
}

}  // namespace trellis::log
