#pragma once
// Whitespace handling shared by the loader and the range parser.
#include <string_view>

namespace trellis::objects {

// XML whitespace (XML 1.0, 2.3 S): space, tab, CR, LF.
inline bool is_xml_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

inline std::string_view trim(std::string_view text) {
  while (!text.empty() && is_xml_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_xml_space(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace trellis::objects
