#include "db/validate.hpp"

#include <string>

#include "core/topic.hpp"
#include "db/errors.hpp"

namespace trellis::db {

namespace {

bool has_control(std::string_view s) {
  for (char c : s) {
    auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7f) return true;
  }
  return false;
}

}  // namespace

Status validate_text(std::string_view value, std::string_view what, std::size_t max,
                     bool allow_empty) {
  std::string name(what);
  if (value.empty()) {
    if (allow_empty) return Ok{};
    return error(errc::invalid_argument, name + " must not be empty");
  }
  if (value.size() > max) {
    return error(errc::invalid_argument,
                 name + " is longer than " + std::to_string(max) + " bytes");
  }
  // Control characters first: is_valid_utf8 also refuses U+0000, which is one.
  if (has_control(value)) {
    return error(errc::invalid_argument, name + " contains a control character");
  }
  if (!topic::is_valid_utf8(value)) {
    return error(errc::invalid_argument, name + " is not valid UTF-8");
  }
  return Ok{};
}

Status validate_topic_level_name(std::string_view value, std::string_view what) {
  auto st = validate_text(value, what, max_id_length);
  if (!st) return st;
  if (value.find_first_of("/+#%") != std::string_view::npos) {
    return error(errc::invalid_argument,
                 std::string(what) + " '" + std::string(value) +
                     "' contains one of / + # % (it must fit one topic level)");
  }
  if (value.front() == '$') {
    return error(errc::invalid_argument,
                 std::string(what) + " '" + std::string(value) + "' must not start with '$'");
  }
  return Ok{};
}

}  // namespace trellis::db
