#pragma once
// Topic names and topic filters as MQTT 3.1.1 section 4.7 defines them.
#include <cstddef>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace trellis::topic {

// MQTT strings are at most 65535 bytes of UTF-8 (1.5.3).
inline constexpr std::size_t max_length = 65535;

// The specification sets no limit on levels, but the subscription tree and the
// retained store walk topics a level per call: 65,535 levels of "/" overflowed
// the stack. No real topic comes near this.
inline constexpr std::size_t max_levels = 200;

// Well-formed UTF-8 without U+0000 and without surrogates (1.5.3).
bool is_valid_utf8(std::string_view s);

// A topic name for PUBLISH: non-empty, valid UTF-8, no wildcards (4.7.1, 4.7.3),
// at most max_levels levels.
Status validate_name(std::string_view name);

// A topic filter for SUBSCRIBE/UNSUBSCRIBE: non-empty, valid UTF-8, `+` a whole
// level, `#` a whole level and the last one (4.7.1.2, 4.7.1.3); at most
// max_levels levels.
Status validate_filter(std::string_view filter);

// Whether a valid filter matches a valid topic name. A filter starting with a
// wildcard does not match a topic starting with `$` (4.7.2) unless
// `system_rule` is off, as it is for ACL patterns, where "#" means everything.
bool matches(std::string_view filter, std::string_view name, bool system_rule = true);

// Whether every topic name `filter` can match is also matched by `pattern`
// (both valid filters); used to check a SUBSCRIBE against ACL patterns,
// ignoring the `$` rule like matches() with system_rule off.
bool covers(std::string_view pattern, std::string_view filter);

// Splits on '/' keeping empty levels: "a//b" -> {"a", "", "b"}, "/a" -> {"", "a"}.
std::vector<std::string_view> split_levels(std::string_view topic);

inline bool is_system(std::string_view name) {
  return !name.empty() && name.front() == '$';
}
// On the PUBLISH hot path: one pass, no per-character memchr as find_first_of does.
inline bool has_wildcard(std::string_view s) {
  for (char c : s) {
    if (c == '+' || c == '#') return true;
  }
  return false;
}

}  // namespace trellis::topic
