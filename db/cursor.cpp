#include "db/cursor.hpp"

#include "core/text_encoding.hpp"

namespace trellis::db {

// Fields are length-prefixed ("<len>:<bytes>") so any byte may appear in them.
std::string encode_cursor(std::string_view tag, const std::vector<std::string>& fields) {
  std::string raw(tag);
  for (const auto& f : fields) {
    raw += '|';
    raw += std::to_string(f.size());
    raw += ':';
    raw += f;
  }
  return base64_encode(raw, Base64Alphabet::url, false);
}

std::optional<std::vector<std::string>> decode_cursor(std::string_view cursor, std::string_view tag,
                                                      std::size_t count) {
  auto raw = base64_decode(cursor);
  if (!raw) return std::nullopt;
  std::string_view s = *raw;
  if (s.substr(0, tag.size()) != tag) return std::nullopt;
  s.remove_prefix(tag.size());
  std::vector<std::string> fields;
  while (!s.empty()) {
    if (s.front() != '|') return std::nullopt;
    s.remove_prefix(1);
    auto colon = s.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 9) return std::nullopt;
    std::size_t len = 0;
    for (char c : s.substr(0, colon)) {
      if (c < '0' || c > '9') return std::nullopt;
      len = len * 10 + static_cast<std::size_t>(c - '0');
    }
    s.remove_prefix(colon + 1);
    if (len > s.size()) return std::nullopt;
    fields.emplace_back(s.substr(0, len));
    s.remove_prefix(len);
  }
  if (fields.size() != count) return std::nullopt;
  return fields;
}

}  // namespace trellis::db
