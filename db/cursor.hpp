#pragma once
// Opaque pagination cursors: a tag naming the list they belong to and the
// position after the last item returned, base64url-encoded. Clients pass them
// back unchanged; a cursor from another list or a mangled one is refused.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trellis::db {

std::string encode_cursor(std::string_view tag, const std::vector<std::string>& fields);
// The fields, or nullopt when the cursor is not one of `tag` with `count` fields.
std::optional<std::vector<std::string>> decode_cursor(std::string_view cursor, std::string_view tag,
                                                      std::size_t count);

}  // namespace trellis::db
