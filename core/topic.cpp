#include "core/topic.hpp"

#include <algorithm>
#include <cstdint>
#include <string>

namespace trellis::topic {

namespace {
bool levels_within_limit(std::string_view s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '/')) < max_levels;
}
}  // namespace

bool is_valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      // Topics are mostly ASCII: run through it without the multi-byte logic.
      if (c == 0) return false;
      ++p;
      continue;
    }
    int extra;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (end - p <= extra) return false;
    for (int i = 1; i <= extra; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
    static constexpr uint32_t min_for_extra[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_for_extra[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    p += extra + 1;
  }
  return true;
}

Status validate_name(std::string_view name) {
  if (name.empty()) return make_error("empty_topic", "topic name is empty");
  if (name.size() > max_length) return make_error("topic_too_long", "topic name over 65535 bytes");
  if (!is_valid_utf8(name)) {
    return make_error("bad_utf8", "topic name is not valid UTF-8 or contains U+0000");
  }
  if (has_wildcard(name)) {
    return make_error("wildcard_in_topic", "topic name must not contain '+' or '#'");
  }
  if (!levels_within_limit(name)) {
    return make_error("too_many_levels",
                      "topic name has over " + std::to_string(max_levels) + " levels");
  }
  return Ok{};
}

Status validate_filter(std::string_view filter) {
  if (filter.empty()) return make_error("empty_filter", "topic filter is empty");
  if (filter.size() > max_length) {
    return make_error("filter_too_long", "topic filter over 65535 bytes");
  }
  if (!is_valid_utf8(filter)) {
    return make_error("bad_utf8", "topic filter is not valid UTF-8 or contains U+0000");
  }
  if (!levels_within_limit(filter)) {
    return make_error("too_many_levels",
                      "topic filter has over " + std::to_string(max_levels) + " levels");
  }
  std::size_t start = 0;
  while (true) {
    std::size_t slash = filter.find('/', start);
    bool last = slash == std::string_view::npos;
    std::string_view level = filter.substr(start, last ? std::string_view::npos : slash - start);
    if (level.find('#') != std::string_view::npos && (level.size() != 1 || !last)) {
      return make_error("bad_multi_level_wildcard", "'#' must be a whole level and the last one");
    }
    if (level.find('+') != std::string_view::npos && level.size() != 1) {
      return make_error("bad_single_level_wildcard", "'+' must occupy a whole level");
    }
    if (last) break;
    start = slash + 1;
  }
  return Ok{};
}

bool matches(std::string_view filter, std::string_view name, bool system_rule) {
  if (system_rule && is_system(name) && !filter.empty() &&
      (filter.front() == '+' || filter.front() == '#')) {
    return false;
  }
  std::size_t f = 0, n = 0;
  while (true) {
    std::size_t fe = filter.find('/', f);
    std::string_view flevel = filter.substr(f, fe == std::string_view::npos ? fe : fe - f);
    if (flevel == "#") return true;  // matches the parent level and everything below
    std::size_t ne = name.find('/', n);
    std::string_view nlevel = name.substr(n, ne == std::string_view::npos ? ne : ne - n);
    if (flevel != "+" && flevel != nlevel) return false;
    bool f_done = fe == std::string_view::npos;
    bool n_done = ne == std::string_view::npos;
    if (f_done || n_done) {
      // "a/#" also matches "a": the filter's next level is a lone '#'.
      if (n_done && !f_done) return filter.substr(fe + 1) == "#";
      return f_done && n_done;
    }
    f = fe + 1;
    n = ne + 1;
  }
}

bool covers(std::string_view pattern, std::string_view filter) {
  auto p = split_levels(pattern);
  auto f = split_levels(filter);
  std::size_t i = 0;
  for (; i < p.size(); ++i) {
    if (p[i] == "#") return true;
    if (i == f.size()) return false;
    if (f[i] == "#") return false;  // the filter reaches deeper than the pattern allows
    if (p[i] == "+") continue;
    if (f[i] == "+" || f[i] != p[i]) return false;
  }
  return i == f.size();
}

std::vector<std::string_view> split_levels(std::string_view topic) {
  std::vector<std::string_view> levels;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = topic.find('/', start);
    if (slash == std::string_view::npos) {
      levels.push_back(topic.substr(start));
      return levels;
    }
    levels.push_back(topic.substr(start, slash - start));
    start = slash + 1;
  }
}

}  // namespace trellis::topic
