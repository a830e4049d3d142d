#pragma once
// The EMQX-compatible JSON commands ({"reqID", "msgType", "data"}) and their
// translation into CoAP requests for one client (LwM2M 1.1 Core, 6.3 and
// 6.4; Transport 6.4). Pure: the caller sends the request and keeps the
// command to build the answer from the response.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/lwm2m/content/content_format.hpp"
#include "adapters/lwm2m/content/path.hpp"
#include "adapters/lwm2m/content/value.hpp"
#include "core/result.hpp"

namespace trellis::lwm2m {

enum class Operation {
  read,
  discover,
  write,
  write_attr,
  execute,
  create,
  remove,  // "delete"
  observe,
  cancel_observe,
};

std::optional<Operation> parse_operation(std::string_view msg_type);
std::string_view operation_name(Operation op);

struct Command {
  nlohmann::json request;  // the whole command object: its keys are echoed in answers
  Operation op = Operation::read;
  std::string req_path;                  // data.path or data.basePath as given, without a query
  Path path;                             // the target
  std::vector<std::string> extra_query;  // "?a=b&c" after the path, passed on as Uri-Query

  std::vector<ResourceRecord> records;   // write / create values, typed
  bool replace = true;                   // write: PUT (replace) or POST (partial update)
  bool create_without_instance = false;  // create: the client picks the instance id
  std::vector<std::string> attributes;   // write-attr: "pmin=10", ...
  std::string args;                      // execute arguments
};

// Parses the command text; error "bad_json" when it is not a JSON object.
Result<nlohmann::json> parse_command_json(std::string_view text);

// Validates a command object. Errors name the field that is wrong, e.g.
// "data.path: '/3/x' is not an LwM2M path". Codes: "bad_command",
// "unknown_msg_type", "bad_path", "bad_value", "unknown_type", "no_definition"
// (a write without "type" to a resource the object model does not know).
Result<Command> parse_command(const nlohmann::json& request, const TypeLookup& lookup);

// What the client told about itself at registration, for choosing formats and
// building URIs.
struct ClientProfile {
  std::string version = "1.0";
  std::vector<uint16_t> content_formats;  // ct= of the root link
  std::string alternate_path = "/";
};

// The format of reads, writes and observations: the best one the client
// listed in ct= (SenML CBOR, SenML JSON, TLV, LwM2M JSON, in that order), else
// TLV for LwM2M 1.0 and SenML CBOR from 1.1 on.
ContentFormat preferred_format(const ClientProfile& client);

enum class Method : uint8_t { get = 1, post = 2, put = 3, remove = 4 };

struct CoapRequest {
  Method method = Method::get;
  std::vector<std::string> uri_path;  // alternate path segments first
  std::vector<std::string> uri_query;
  std::optional<uint16_t> content_format;
  std::optional<uint16_t> accept;
  std::optional<uint32_t> observe;  // 0 register, 1 deregister (RFC 7641)
  std::string payload;
};

// Builds the request. Errors: the content codecs' (a value the chosen format
// cannot carry) and "create_needs_tlv".
Result<CoapRequest> to_coap_request(const Command& cmd, const ClientProfile& client,
                                    const TypeLookup& lookup);

// Converts a JSON value to a typed LwM2M value: `type` is the command's type
// name if given, `model` what the object model says. Errors "bad_value",
// "unknown_type", "no_definition", "type_mismatch".
Result<Value> value_from_json(const nlohmann::json& value, const std::optional<std::string>& type,
                              const std::optional<std::string>& encoding,
                              std::optional<objects::ResourceType> model, const Path& path);

}  // namespace trellis::lwm2m
