#pragma once
// A check on JSON text from the network, made before it is parsed.
#include <string_view>

namespace trellis {

// JSON from the network nesting deeper than this is refused: nlohmann::json
// copies and dumps values recursively, so hostile nesting (a 1 MiB packet of
// "[") would overflow the stack. No command, ack or REST body needs more.
inline constexpr int max_json_depth = 32;

// Whether [ and { outside strings nest at most `max_depth` deep.
bool json_nesting_within(std::string_view text, int max_depth = max_json_depth);

}  // namespace trellis
