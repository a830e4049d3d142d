#pragma once
// Byte encodings and digests the registry stores and compares.
#include <optional>
#include <string>
#include <string_view>

namespace trellis::db {

// RFC 4648 section 4 (with padding) and section 5 (URL-safe, without padding).
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

// Lower-case hex; decoding accepts either case and needs an even length.
std::string hex_encode(std::string_view bytes);
std::optional<std::string> hex_decode(std::string_view text);

// Cryptographically random bytes (OpenSSL RAND_bytes).
std::string random_bytes(std::size_t n);
// SHA-256 of the bytes, as lower-case hex.
std::string sha256_hex(std::string_view bytes);
// Equality that takes the same time wherever the first difference is.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace trellis::db
