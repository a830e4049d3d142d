// Feeds arbitrary bytes to the MQTT-SN codec as one datagram. What decodes
// must re-encode to a datagram that decodes to the same message, and encoding
// that again must give the same bytes; a datagram cut short never decodes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "adapters/mqttsn/codec.hpp"
#include "invariant.hpp"

namespace {

using namespace trellis::mqttsn;

using trellis::fuzz::require;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto decoded = decode(input);
  if (!decoded) {
    require(!decoded.error().code.empty(), "error without a code");
    return 0;
  }
  const Message& message = *decoded;

  const std::string encoded = encode(message);
  require(!encoded.empty(), "a decoded message does not encode");
  const auto again = decode(encoded);
  require(again.ok(), "re-encoded message does not decode");
  require(*again == message, "re-encoded message decodes to a different value");
  require(encode(*again) == encoded, "encoding is not stable");
  require(type_of(message) == type_of(*again), "message type changed");

  // The Length field must match the datagram, so any shorter one is refused
  // (an Encapsulated message's Length covers its header only).
  if (!std::holds_alternative<Encapsulated>(message)) {
    require(!decode(input.substr(0, input.size() - 1)).ok(), "a cut datagram decodes");
    require(encoded.size() == input.size() || encoded.size() + 2 == input.size(),
            "re-encoded size differs by more than the Length form");
  }
  return 0;
}
