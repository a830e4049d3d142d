#pragma once
// The JSON the bridge publishes (EMQX's LwM2M gateway format): answers to
// commands on up/resp, notifications on up/notify, registration events.
// Values are typed by the object model so the telemetry recorder stores
// numbers as numbers; every value carries its path. Pure.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/lwm2m/command.hpp"
#include "adapters/lwm2m/content/value.hpp"
#include "adapters/lwm2m/registration.hpp"

namespace trellis::lwm2m {

// What came back from the client, as far as the answer needs it.
struct CoapResponse {
  uint8_t code = 0;
  std::optional<uint16_t> content_format;
  std::string payload;
  std::optional<uint32_t> observe;
  std::vector<std::string> location_path;
};

// RFC 7641 3.4: whether a notification with Observe value `v2`, received
// `seconds_later` than the one with `v1`, is newer (24-bit values that wrap);
// an older one that arrives late must not overwrite what came after it.
bool is_fresher_notification(uint32_t v1, uint32_t v2, double seconds_later);

// The answer to a command: the command's own keys, "data" replaced by
// {reqPath, code, codeMsg[, content][, location][, error]}. Read, observe and
// cancel-observe carry [{path, value[, time]}], discover its links as text.
// A payload that does not decode answers 5.02 bad_gateway with "error".
nlohmann::json command_reply(const Command& cmd, const CoapResponse& rsp, const TypeLookup& lookup,
                             int64_t now_ms);

// A notification for an observation made by `observe`: msgType "notify",
// seqNum = the Observe option, data as a read answer.
nlohmann::json notify_message(const Command& observe, const CoapResponse& rsp,
                              const TypeLookup& lookup, int64_t now_ms);

// What a client sent with the Send operation (LwM2M 1.1, POST /dp), as
// notifications go: msgType "send", data {reqPath "/dp", code "2.04",
// codeMsg, content [{path, value[, time]}]}. Error "unsupported_format" for
// a payload that is not SenML JSON / CBOR or LwM2M JSON, or another error
// naming where it does not decode.
Result<nlohmann::json> send_message(const CoapResponse& sent, const TypeLookup& lookup,
                                    int64_t now_ms);

// An answer the server gives itself (bad command, unknown endpoint, timeout):
// the request's keys (when it was an object), msgType replaced when
// `msg_type` is given, data {reqPath, code, codeMsg, error}.
nlohmann::json local_reply(const nlohmann::json& request, std::string_view req_path,
                           std::optional<std::string_view> msg_type, uint8_t code,
                           std::string_view code_msg, const std::string& error);

// What a Register or Update left the registration as.
struct RegistrationSummary {
  std::string endpoint;
  int64_t lifetime = 0;
  std::string version;
  std::string binding;
  std::optional<std::string> sms;
  bool queue_mode = false;
  std::vector<std::pair<std::string, std::string>> extra;
  const ObjectList* objects = nullptr;  // when the message carried an object list
};

// {"msgType": "register" | "update", "data": {"ep", "lt", "lwm2m", "b", ["sms",]
// ["alternatePath", "objectList"]}}
nlohmann::json registration_event(std::string_view msg_type, const RegistrationSummary& reg);

// Typed JSON for one value: numbers as numbers, Opaque as base64, Objlnk "a:b".
nlohmann::json value_to_json(const Value& v);

// JSON text for the bus; invalid UTF-8 in client strings is replaced, never thrown.
std::string to_text(const nlohmann::json& j);

}  // namespace trellis::lwm2m
