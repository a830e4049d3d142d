#pragma once
// CoRE Link Format (RFC 6690), application/link-format, content format 40: the
// object list of Register / Update payloads and Discover responses, e.g.
// </>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>;ver=1.1
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace trellis::lwm2m {

struct Link {
  std::string uri;  // between '<' and '>', as written
  // In order of appearance; quoted values are unquoted and unescaped, a
  // parameter without '=' (";obs") has an empty value.
  std::vector<std::pair<std::string, std::string>> params;

  // The first parameter of that name.
  std::optional<std::string_view> param(std::string_view name) const;

  friend bool operator==(const Link&, const Link&) = default;
};

// Whitespace around ',' ';' '=' is tolerated (some clients send line breaks).
// Empty text is an empty list. Errors: "link_expected_uri",
// "link_unterminated_uri", "link_bad_param", "link_unterminated_quote",
// "link_unexpected_char".
Result<std::vector<Link>> parse_link_format(std::string_view text);

// Writes links back; values are quoted when they hold characters a bare token
// cannot (RFC 6690, 2: ptoken) and for rt / if / title / anchor, as is usual.
std::string format_link_format(const std::vector<Link>& links);

}  // namespace trellis::lwm2m
