#include "objects/numeric_range.hpp"

#include <charconv>
#include <cmath>

#include "objects/text.hpp"

namespace trellis::objects {
namespace {

std::optional<double> parse_number(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

}  // namespace

std::optional<NumericRange> parse_numeric_range(std::string_view text) {
  // No number contains "..", so the first one separates the bounds; parsing
  // "1..5" from the left instead would read "1." as the minimum.
  const auto dots = text.find("..");
  if (dots == std::string_view::npos) return std::nullopt;
  const auto min = parse_number(text.substr(0, dots));
  const auto max = parse_number(text.substr(dots + 2));
  if (!min || !max || *min > *max) return std::nullopt;
  return NumericRange{*min, *max};
}

}  // namespace trellis::objects
