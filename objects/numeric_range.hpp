#pragma once
// The "min..max" form of <RangeEnumeration>. For numeric resources it bounds
// the value; for String and Opaque resources the registry uses it for the
// length in bytes, so what it bounds depends on the resource's type.
#include <optional>
#include <string_view>

namespace trellis::objects {

struct NumericRange {
  double min = 0;
  double max = 0;

  bool contains(double v) const { return v >= min && v <= max; }
  friend bool operator==(const NumericRange&, const NumericRange&) = default;
};

// "0..100", "-40..85", "0.5..1e3" (spaces around the numbers allowed).
// Anything else - enumerations such as "16,32,48", prose, min > max,
// infinities, NaN - is not a numeric range.
std::optional<NumericRange> parse_numeric_range(std::string_view text);

}  // namespace trellis::objects
