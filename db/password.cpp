#include "db/password.hpp"

#include <openssl/evp.h>

#include <charconv>
#include <optional>
#include <vector>

#include "core/text_encoding.hpp"
#include "db/crypto.hpp"

namespace trellis::db {

namespace {

constexpr std::string_view scheme = "pbkdf2-sha256";
constexpr std::size_t salt_size = 16;
constexpr std::size_t key_size = 32;
// A stored string is data: refuse iteration counts that would stall a connect.
constexpr int max_iterations = 10'000'000;

std::optional<std::string> derive(std::string_view password, std::string_view salt, int iterations,
                                  std::size_t size) {
  std::string out(size, '\0');
  int ok = PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                             reinterpret_cast<const unsigned char*>(salt.data()),
                             static_cast<int>(salt.size()), iterations, EVP_sha256(),
                             static_cast<int>(size), reinterpret_cast<unsigned char*>(out.data()));
  if (ok != 1) return std::nullopt;
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    auto pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

}  // namespace

std::string hash_password(std::string_view password, int iterations) {
  if (iterations < 1) iterations = 1;
  std::string salt = random_bytes(salt_size);
  auto key = derive(password, salt, iterations, key_size);
  if (!key) return {};  // unreachable with valid arguments; an empty hash never verifies
  return std::string(scheme) + "$" + std::to_string(iterations) + "$" + base64_encode(salt) + "$" +
         base64_encode(*key);
}

bool verify_password(std::string_view password, std::string_view encoded) {
  auto parts = split(encoded, '$');
  if (parts.size() != 4 || parts[0] != scheme) return false;
  int iterations = 0;
  auto [end, ec] = std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), iterations);
  if (ec != std::errc() || end != parts[1].data() + parts[1].size()) return false;
  if (iterations < 1 || iterations > max_iterations) return false;
  auto salt = base64_decode(parts[2]);
  auto expected = base64_decode(parts[3]);
  if (!salt || !expected || salt->empty() || expected->size() < 16 || expected->size() > 64) {
    return false;
  }
  auto actual = derive(password, *salt, iterations, expected->size());
  return actual && constant_time_equal(*actual, *expected);
}

}  // namespace trellis::db
