#pragma once
// Checking one key's value against its spec, whether it came as JSON from a
// file or as text from the environment or --set.
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "config/schema.hpp"

namespace trellis::config {

// Why a value was refused: what the key expects, and the offending part when
// it is smaller than the whole value (one bad list item, say).
struct Problem {
  std::string expected;
  std::optional<nlohmann::json> got;
};

// Checks `value` against `spec`; on success it may be normalised in place
// (integers stored as signed, missing ACL lists filled in).
std::optional<Problem> check_json(const KeySpec& spec, nlohmann::json& value);

// Turns text from the environment or --set into a value of the key's type and
// checks it. Booleans: true/false/yes/no/on/off/1/0; lists: a JSON array or
// comma separated; objects: JSON.
struct TextResult {
  nlohmann::json value;
  std::optional<Problem> problem;
};
TextResult parse_text(const KeySpec& spec, std::string_view text);

// A value as an error message shows it: compact JSON, long ones shortened.
std::string show(const nlohmann::json& value);

}  // namespace trellis::config
