#pragma once
// Bytes as text: base64 (RFC 4648) and hex, one encoder and one decoder of
// each for every protocol, store and API that carries bytes in text.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace trellis {

enum class Base64Alphabet { standard, url };

std::string base64_encode(std::string_view bytes,
                          Base64Alphabet alphabet = Base64Alphabet::standard, bool pad = true);
inline std::string base64_encode(std::span<const uint8_t> bytes,
                                 Base64Alphabet alphabet = Base64Alphabet::standard,
                                 bool pad = true) {
  return base64_encode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                       alphabet, pad);
}

// Accepts either alphabet, with or without padding, since senders differ in
// both. Rejects other characters, '=' included anywhere but the last two
// places ("base64_bad_char"), a lone trailing character or padding that does
// not complete the last group of four ("base64_bad_length") and leftover bits
// that are not zero ("base64_trailing_bits"), so every accepted text has one
// meaning.
Result<std::string> base64_decode(std::string_view text);

// The value of one hex digit of either case, or -1.
int hex_digit(char c);
// Lower-case hex.
std::string hex_encode(std::string_view bytes);
// Either case; an odd length ("hex_bad_length") or another character
// ("hex_bad_char") is refused.
Result<std::string> hex_decode(std::string_view text);

}  // namespace trellis
