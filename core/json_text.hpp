#pragma once
// JSON from the network: a check on its text before it is parsed, and reading
// members whose type the sender chose.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace trellis {

// JSON from the network nesting deeper than this is refused: nlohmann::json
// copies and dumps values recursively, so hostile nesting (a 1 MiB packet of
// "[") would overflow the stack. No command, ack or REST body needs more.
inline constexpr int max_json_depth = 32;

// Whether [ and { outside strings nest at most `max_depth` deep.
bool json_nesting_within(std::string_view text, int max_depth = max_json_depth);

// Why parsing failed, for the sender: the exception's text without the
// library's "[json.exception.parse_error.101] " tag.
std::string json_error_text(const nlohmann::json::exception& e);

// The member `key` of `object` when it is a string; nothing when it is absent,
// of another type, or `object` is not an object (json::value() would throw).
std::optional<std::string> string_member(const nlohmann::json& object, std::string_view key);

}  // namespace trellis
