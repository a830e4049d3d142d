#include "core/log.hpp"

#include <unistd.h>

#include <chrono>
#include <ctime>

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
    case Level::trace: return "TRACE";
    case Level::debug: return "DEBUG";
    case Level::info: return "INFO";
    case Level::warn: return "WARN";
    case Level::error: return "ERROR";
    case Level::off: return "OFF";
  }
  return "?";
}

void set_level(Level l) { level_storage().store(static_cast<int>(l)); }

Line::Line(Level level, std::string_view component) {
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
  out_ << '\n';
  std::string s = out_.str();
  // A short write to stderr is not worth retrying: logging must never block the caller.
  [[maybe_unused]] auto r = ::write(STDERR_FILENO, s.data(), s.size());
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
