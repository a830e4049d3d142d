#pragma once
// Randomness, digests and comparison for the secrets the registry keeps.
#include <string>
#include <string_view>

namespace trellis::db {

// Cryptographically random bytes (OpenSSL RAND_bytes).
std::string random_bytes(std::size_t n);
// SHA-256 of the bytes, as lower-case hex.
std::string sha256_hex(std::string_view bytes);
// Equality that takes the same time wherever the first difference is.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace trellis::db
