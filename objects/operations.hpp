#pragma once
// What a LwM2M Server may do with a resource (LwM2M 1.1 Core, 7.1 and the
// <Operations> element of the object XML schema).
#include <optional>
#include <string>
#include <string_view>

namespace trellis::objects {

struct Operations {
  bool read = false;
  bool write = false;
  bool execute = false;

  // Object 0 (Security) uses it: no server may touch the resource at all.
  bool none() const { return !read && !write && !execute; }
  friend bool operator==(const Operations&, const Operations&) = default;
};

inline constexpr Operations kNoOperations{};
inline constexpr Operations kRead{.read = true};
inline constexpr Operations kWrite{.write = true};
inline constexpr Operations kReadWrite{.read = true, .write = true};
inline constexpr Operations kExecute{.execute = true};

// Accepts the schema's values exactly: "R", "W", "RW", "E" and "" (none).
std::optional<Operations> parse_operations(std::string_view text);
// The schema spelling; combinations the schema cannot express read like "RE".
std::string operations_name(Operations ops);

}  // namespace trellis::objects
