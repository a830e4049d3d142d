#include "adapters/lwm2m/content/number_text.hpp"

#include <charconv>
#include <cmath>

namespace trellis::lwm2m {

std::optional<int64_t> parse_int64(std::string_view text) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  if (text.empty() || text.front() == '+') return std::nullopt;
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

std::optional<uint64_t> parse_uint64(std::string_view text) {
  uint64_t v = 0;
  const char* end = text.data() + text.size();
  if (text.empty() || text.front() == '+' || text.front() == '-') return std::nullopt;
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

std::optional<double> parse_double(std::string_view text) {
  if (text.empty() || text.front() == '+') return std::nullopt;
  for (const char c : text) {
    const bool ok =
        (c >= '0' && c <= '9') || c == '-' || c == '.' || c == 'e' || c == 'E' || c == '+';
    if (!ok) return std::nullopt;  // keeps "inf", "nan" and hex floats out
  }
  double v = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v, std::chars_format::general);
  if (ec != std::errc() || ptr != end || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::string format_double(double d) {
  if (!std::isfinite(d)) return {};
  char buf[64];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  if (ec != std::errc()) return {};
  return std::string(buf, ptr);
}

}  // namespace trellis::lwm2m
