// Feeds arbitrary bytes to the MQTT codec as a stream. Every packet decoded
// must re-encode to bytes that decode to the same packet; every strict prefix
// of a packet must read as incomplete; the incremental Decoder must see the
// same packets as one-shot decoding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/mqtt/codec.hpp"
#include "invariant.hpp"

namespace {

using namespace trellis::mqtt;

constexpr std::size_t max_packet = 1 << 20;

using trellis::fuzz::require;

void check_packet(std::string_view input, const DecodeResult& r) {
  const std::string encoded = encode(r.packet);
  const DecodeResult again = decode(encoded, 0);
  require(again.is_packet(), "re-encoded packet does not decode");
  require(again.consumed == encoded.size(), "re-encoded packet length differs");
  require(again.packet == r.packet, "re-encoded packet decodes to a different value");

  if (const auto* p = std::get_if<Publish>(&r.packet)) {
    std::string fast =
        encode_publish_header(p->topic, p->qos, p->retain, p->dup, p->packet_id, p->payload.size());
    fast += p->payload;
    require(fast == encoded, "encode_publish_header disagrees with encode");
  }

  // A strict prefix of a well-formed packet is never an error nor a packet.
  const std::size_t n = r.consumed;
  for (std::size_t len = 0; len < n; ++len) {
    if (len == 16 && n > 17) len = n - 1;  // the short ones and the longest one
    const DecodeResult part = decode(input.substr(0, len), max_packet);
    require(part.is_incomplete(), "prefix of a packet is not incomplete");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // One-shot decoding over the whole stream.
  std::vector<Packet> packets;
  std::size_t pos = 0;
  bool failed = false;
  while (pos < input.size()) {
    DecodeResult r = decode(input.substr(pos), max_packet);
    if (r.is_error()) {
      failed = true;
      break;
    }
    if (r.is_incomplete()) break;
    require(r.consumed > 0 && r.consumed <= input.size() - pos, "consumed out of range");
    check_packet(input.substr(pos), r);
    packets.push_back(std::move(r.packet));
    pos += r.consumed;
  }

  // The same bytes through the Decoder in chunks whose sizes the input picks.
  Decoder decoder(max_packet);
  std::size_t seen = 0;
  bool decoder_failed = false;
  std::size_t off = 0;
  std::size_t step = 0;
  while (off < input.size() && !decoder_failed) {
    std::size_t chunk = 1 + (static_cast<uint8_t>(input[step++ % input.size()]) % 7);
    if (chunk > input.size() - off) chunk = input.size() - off;
    decoder.feed(input.substr(off, chunk));
    off += chunk;
    while (true) {
      DecodeResult r = decoder.next();
      if (r.is_incomplete()) break;
      if (r.is_error()) {
        decoder_failed = true;
        break;
      }
      require(seen < packets.size() && packets[seen] == r.packet, "Decoder saw another packet");
      ++seen;
    }
  }
  require(seen == packets.size(), "Decoder saw fewer packets");
  require(decoder_failed == failed, "Decoder and decode disagree about an error");
  return 0;
}
