#include "core/log.hpp"

#include <unistd.h>

#include <algorithm>
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

namespace {

// Values often come from the network (client ids, topics, endpoint names, a
// library's message about a packet): a newline or escape sequence in one must
// not start a forged log line or drive the operator's terminal.
bool is_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

void put_escaped(std::string& out, char c) {
  static constexpr char hex[] = "0123456789abcdef";
  if (!is_control(c)) {
    out += c;
  } else if (c == '\n') {
    out += "\\n";
  } else if (c == '\r') {
    out += "\\r";
  } else if (c == '\t') {
    out += "\\t";
  } else {
    const auto u = static_cast<unsigned char>(c);
    out += "\\x";
    out += hex[u >> 4];
    out += hex[u & 0xf];
  }
}

}  // namespace

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
  std::string s = out_.str();
  if (std::any_of(s.begin(), s.end(), is_control)) {
    // Free text, not only key=value pairs, may carry what a peer sent.
    std::string escaped;
    escaped.reserve(s.size() + 16);
    for (char c : s) put_escaped(escaped, c);
    s = std::move(escaped);
  }
  s += '\n';
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
  const bool plain = !kv.value.empty() && kv.value.find_first_of(" \"=") == std::string::npos &&
                     std::none_of(kv.value.begin(), kv.value.end(), is_control);
  if (plain) return os << kv.value;
  std::string quoted = "\"";
  for (char c : kv.value) {
    if (c == '"' || c == '\\') quoted += '\\';
    put_escaped(quoted, c);
  }
  quoted += '"';
  return os << quoted;
}

}  // namespace trellis::log
