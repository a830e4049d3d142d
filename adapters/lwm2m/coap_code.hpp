#pragma once
// CoAP response codes (RFC 7252, 12.1.2) as the JSON command bridge spells
// them: "2.05" and EMQX's names ("content", "bad_request", ...).
#include <cstdint>
#include <string>
#include <string_view>

namespace trellis::lwm2m {

// A code byte: class in the top three bits, detail in the low five.
constexpr uint8_t coap_code(int klass, int detail) {
  return static_cast<uint8_t>((klass << 5) | detail);
}

inline constexpr uint8_t kCreated = coap_code(2, 1);
inline constexpr uint8_t kDeleted = coap_code(2, 2);
inline constexpr uint8_t kChanged = coap_code(2, 4);
inline constexpr uint8_t kContent = coap_code(2, 5);
inline constexpr uint8_t kBadRequest = coap_code(4, 0);
inline constexpr uint8_t kForbidden = coap_code(4, 3);
inline constexpr uint8_t kNotFound = coap_code(4, 4);
inline constexpr uint8_t kMethodNotAllowed = coap_code(4, 5);
inline constexpr uint8_t kPreconditionFailed = coap_code(4, 12);
inline constexpr uint8_t kUnsupportedContentFormat = coap_code(4, 15);
inline constexpr uint8_t kInternalServerError = coap_code(5, 0);
inline constexpr uint8_t kBadGateway = coap_code(5, 2);
inline constexpr uint8_t kServiceUnavailable = coap_code(5, 3);
inline constexpr uint8_t kGatewayTimeout = coap_code(5, 4);

constexpr bool is_success(uint8_t code) {
  return (code >> 5) == 2;
}

// "2.05"
std::string code_text(uint8_t code);
// "content"; "unknown" for codes RFC 7252 does not name.
std::string_view code_name(uint8_t code);

}  // namespace trellis::lwm2m
