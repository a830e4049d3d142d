// Fuzzes the JSON command bridge: command text -> Command -> CoAP request for
// an LwM2M 1.0, a 1.1 and a SenML JSON client, and the answer built from a
// response that carries the request's own payload back. A payload we encode
// must decode in its own format, and nothing may throw.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "adapters/lwm2m/command.hpp"
#include "adapters/lwm2m/reply.hpp"
#include "lwm2m_fuzz_support.hpp"

using namespace trellis::lwm2m;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto json = parse_command_json(text);
  if (!json) return 0;
  const TypeLookup& lookup = fuzz::typed_lookup();
  auto cmd = parse_command(*json, lookup);
  if (!cmd) return 0;
  ClientProfile profiles[3];
  profiles[1].version = "1.1";
  profiles[2].version = "1.1";
  profiles[2].content_formats = {110};
  profiles[2].alternate_path = "/lwm2m";
  for (const auto& profile : profiles) {
    auto req = to_coap_request(*cmd, profile, lookup);
    if (!req) continue;
    if (!req->payload.empty() && req->content_format && *req->content_format != 0) {
      const auto format = content_format_from_number(*req->content_format);
      fuzz::require(format.has_value(), "request in an unknown content format");
      // Without an instance the payload holds bare resources (only TLV can).
      if (!cmd->create_without_instance) {
        auto back = decode(*format, req->payload, cmd->path, lookup);
        fuzz::require(back.ok(), "an encoded request payload does not decode");
      }
    }
    CoapResponse rsp;
    rsp.code = 0x45;  // 2.05
    rsp.content_format = req->content_format;
    rsp.payload = req->payload;
    rsp.observe = 3;
    (void)to_text(command_reply(*cmd, rsp, lookup, 0));
    (void)to_text(notify_message(*cmd, rsp, lookup, 0));
  }
  return 0;
}
