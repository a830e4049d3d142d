// Feeds arbitrary bytes to the base64 and hex decoders, and encodes them too.
// An accepted text must have one meaning: re-encoding what it decoded to gives
// the same text, up to the alphabet and the padding base64 lets senders choose.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/text_encoding.hpp"
#include "invariant.hpp"

namespace {

using namespace trellis;

using trellis::fuzz::require;

// The text in the standard alphabet without its padding.
std::string canonical_base64(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '=') continue;
    out += c == '-' ? '+' : c == '_' ? '/' : c;
  }
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  if (auto bytes = base64_decode(input)) {
    require(base64_encode(*bytes, Base64Alphabet::standard, false) == canonical_base64(input),
            "an accepted base64 text is not the encoding of what it decoded to");
  } else {
    require(!bytes.error().code.empty() && !bytes.error().message.empty(), "base64 error unnamed");
  }
  for (const auto alphabet : {Base64Alphabet::standard, Base64Alphabet::url}) {
    for (const bool pad : {true, false}) {
      auto back = base64_decode(base64_encode(input, alphabet, pad));
      require(back && *back == input, "base64 does not round-trip");
    }
  }

  if (auto bytes = hex_decode(input)) {
    require(hex_encode(*bytes) == lower(input),
            "an accepted hex text does not re-encode to itself");
  } else {
    require(!bytes.error().code.empty() && !bytes.error().message.empty(), "hex error unnamed");
  }
  auto back = hex_decode(hex_encode(input));
  require(back && *back == input, "hex does not round-trip");
  return 0;
}
