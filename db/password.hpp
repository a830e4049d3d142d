#pragma once
// Password hashes as stored in the registry:
//   "pbkdf2-sha256$<iterations>$<salt, base64>$<hash, base64>"
// PBKDF2-HMAC-SHA256 (RFC 8018 section 5.2) with a random 16-byte salt and a
// 32-byte derived key; base64 is written in RFC 4648 section 4 with padding
// (core/text_encoding reads either alphabet, padded or not).
#include <string>
#include <string_view>

namespace trellis::db {

inline constexpr int default_password_iterations = 10000;

std::string hash_password(std::string_view password, int iterations = default_password_iterations);

// False for a wrong password and for a stored string that is not of the form
// above. Compares in constant time.
bool verify_password(std::string_view password, std::string_view encoded);

}  // namespace trellis::db
