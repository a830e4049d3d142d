#include "webapi/query.hpp"

#include <charconv>
#include <limits>

#include "core/text_encoding.hpp"
#include "webapi/errors.hpp"

namespace trellis::webapi {
namespace {

Error bad(std::string message) {
  return make_error(std::string(code::bad_request), std::move(message));
}

}  // namespace

Result<std::string> percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return bad("truncated percent escape");
      const int hi = hex_digit(s[i + 1]);
      const int lo = hex_digit(s[i + 2]);
      if (hi < 0 || lo < 0) return bad("bad percent escape '" + std::string(s.substr(i, 3)) + "'");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string percent_encode_segment(std::string_view s) {
  static constexpr char digits[] = "0123456789ABCDEF";
  // "." and ".." would read as dot-segments (RFC 3986 5.2.4): their dots are encoded.
  const bool dots_only = s == "." || s == "..";
  std::string out;
  for (char c : s) {
    const auto b = static_cast<unsigned char>(c);
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '~' ||
                            (c == '.' && !dots_only);
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += digits[b >> 4];
      out += digits[b & 15];
    }
  }
  return out;
}

Result<std::map<std::string, std::string>> parse_query(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    auto name = percent_decode(item.substr(0, eq), true);
    if (!name) return name.error();
    auto value = percent_decode(
        eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1), true);
    if (!value)
      return make_error(value.error().code,
                        "query parameter '" + *name + "': " + value.error().message);
    out[std::move(*name)] = std::move(*value);
  }
  return out;
}

std::pair<std::string_view, std::string_view> split_target(std::string_view target) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

Result<int64_t> parse_int(std::string_view name, std::string_view value) {
  int64_t v = 0;
  const auto* end = value.data() + value.size();
  const auto [p, ec] = std::from_chars(value.data(), end, v);
  if (value.empty() || ec != std::errc() || p != end) {
    return bad("query parameter '" + std::string(name) + "' must be an integer, got '" +
               std::string(value) + "'");
  }
  return v;
}

Result<std::size_t> parse_limit(std::string_view name, std::string_view value, std::size_t max) {
  auto v = parse_int(name, value);
  if (!v) return v.error();
  if (*v < 1) return bad("query parameter '" + std::string(name) + "' must be at least 1");
  return static_cast<uint64_t>(*v) > max ? max : static_cast<std::size_t>(*v);
}

Result<int64_t> parse_interval(std::string_view name, std::string_view value) {
  std::size_t digits = 0;
  while (digits < value.size() && value[digits] >= '0' && value[digits] <= '9') ++digits;
  const auto unit = value.substr(digits);
  int64_t scale = 0;
  if (unit.empty() || unit == "ms")
    scale = 1;
  else if (unit == "s")
    scale = 1000;
  else if (unit == "m")
    scale = 60'000;
  else if (unit == "h")
    scale = 3'600'000;
  else if (unit == "d")
    scale = 86'400'000;
  const auto err = [&] {
    return bad("query parameter '" + std::string(name) +
               "' must be milliseconds or a number with unit ms, s, m, h or d (e.g. 5m), got '" +
               std::string(value) + "'");
  };
  if (digits == 0 || scale == 0) return err();
  int64_t n = 0;
  const auto [p, ec] = std::from_chars(value.data(), value.data() + digits, n);
  if (ec != std::errc() || p != value.data() + digits) return err();
  if (n <= 0) return bad("query parameter '" + std::string(name) + "' must be greater than 0");
  if (n > std::numeric_limits<int64_t>::max() / scale) return err();
  return n * scale;
}

std::vector<std::string> split_list(std::string_view value) {
  std::vector<std::string> out;
  while (!value.empty()) {
    const auto comma = value.find(',');
    const auto item = value.substr(0, comma);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    value = value.substr(comma + 1);
  }
  return out;
}

}  // namespace trellis::webapi
