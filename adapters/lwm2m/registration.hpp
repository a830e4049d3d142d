#pragma once
// The Register and Update messages of the Client Registration Interface
// (LwM2M 1.1 Core, 6.2.1 / 6.2.2 and Transport 6.2.1): Uri-Query parameters
// and the link-format object list, parsed into plain values. Pure: no
// sockets, no clock; the server decides lifetimes and what to keep.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/lwm2m/content/path.hpp"
#include "core/result.hpp"

namespace trellis::lwm2m {

// The Uri-Query parameters of a Register (all but `ep` optional) or an Update
// (only lt, sms, b and Q allowed).
struct RegistrationQuery {
  std::optional<std::string> endpoint;  // ep
  std::optional<int64_t> lifetime;      // lt, seconds
  std::optional<std::string> version;   // lwm2m: "1.0", "1.1", "1.2"
  std::optional<std::string> binding;   // b: "U", "UQ", "T", ...
  std::optional<std::string> sms;       // sms: MSISDN
  bool queue_mode = false;              // Q (1.1), or 'Q' in a 1.0 binding
  // Parameters the server does not interpret (e.g. "apn"), kept for the events.
  std::vector<std::pair<std::string, std::string>> extra;
};

// One object or object instance the client announced, e.g. </3303/0> or
// </3303>;ver=1.1.
struct ObjectLink {
  Path path;  // depth 1 or 2
  std::optional<std::string> version;

  friend bool operator==(const ObjectLink&, const ObjectLink&) = default;
};

struct ObjectList {
  // Where the client's objects live ("/" unless a link carries
  // rt="oma.lwm2m"), e.g. "/lwm2m". Never ends with '/' except the root.
  std::string alternate_path = "/";
  std::vector<ObjectLink> links;
  // Content formats from ct= on the root link, in the order given.
  std::vector<uint16_t> content_formats;

  bool has_object(uint16_t object_id) const;
  // "/3/0" style entries, as the EMQX events list them.
  std::vector<std::string> paths() const;
};

// Errors (4.00 Bad Request on the wire): "missing_endpoint", "bad_endpoint",
// "bad_lifetime", "bad_binding", "duplicate_parameter", "bad_parameter",
// "unsupported_version" (4.12 Precondition Failed), "parameter_not_allowed"
// (ep / lwm2m in an Update).
Result<RegistrationQuery> parse_register_query(const std::vector<std::string>& queries);
Result<RegistrationQuery> parse_update_query(const std::vector<std::string>& queries);

// Parses a Register / Update payload (application/link-format). Errors are the
// link-format parser's and "bad_object_link" (a link that is neither an
// object nor an object instance under the alternate path), "bad_ct".
Result<ObjectList> parse_object_list(std::string_view payload);

// True for a queue-mode binding written the LwM2M 1.0 way ("UQ", "SQ", "UQS").
bool binding_has_queue(std::string_view binding);

}  // namespace trellis::lwm2m
