#pragma once
// Rules for names the registry stores. Device ids and LwM2M endpoint names
// become one topic level ("{device}/#", "lwm2m/{endpoint}/#") in ACLs, so they
// may hold no '/', no wildcards, and no '%' (ACL patterns expand %c / %u).
#include <string_view>

#include "core/result.hpp"

namespace trellis::db {

inline constexpr std::size_t max_id_length = 128;
inline constexpr std::size_t max_name_length = 256;
inline constexpr std::size_t max_secret_length = 1024;
inline constexpr std::size_t max_psk_key_bytes = 64;

// `what` names the field in the error message, e.g. "device id".
Status validate_topic_level_name(std::string_view value, std::string_view what);
// Non-empty UTF-8 of at most `max` bytes without control characters.
Status validate_text(std::string_view value, std::string_view what, std::size_t max,
                     bool allow_empty = false);

}  // namespace trellis::db
