#pragma once
// JSON shapes of registry objects, as DESIGN.md's REST section shows them.
// Requests: a device as the API takes it, secrets included; PATCH bodies
// follow JSON merge patch (RFC 7396): a missing member is left alone, null
// clears. Responses never carry a secret, only flags saying one is set.
// Read-only members (created_ms, online, ...) in a request are ignored, so a
// client may send back what it read; unknown members are an error.
#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "db/command_store.hpp"
#include "db/device.hpp"
#include "db/telemetry_store.hpp"

namespace trellis::db {

// {"id", "name", "type", "attributes", "protocol", "created_ms", "updated_ms",
//  "online", "last_seen_ms", "remote_address",
//  "credentials": {"mqtt": {"username", "has_password"},
//                  "lwm2m": {"endpoint", "psk_identity", "has_psk_key"}}}
nlohmann::json to_json(const Device& d);
// {"id", "name", "type", "attributes", "protocol",
//  "credentials": {"mqtt": {"username", "password"},
//                  "lwm2m": {"endpoint", "psk_identity", "psk_key" (hex)}}}
Result<NewDevice> parse_new_device(const nlohmann::json& j);
// The same members, all optional; "id" is ignored (the URL names the device).
Result<DevicePatch> parse_device_patch(const nlohmann::json& j);

// {"name", "username", "has_password", "has_api_key", "acl", "created_ms", "updated_ms"}
nlohmann::json to_json(const Application& a);
// {"name", "username", "password", "api_key", "acl"}
Result<NewApplication> parse_new_application(const nlohmann::json& j);
Result<ApplicationPatch> parse_application_patch(const nlohmann::json& j);

// {"id" (the uid), "device", "protocol", "state", "body", "created_ms",
//  "updated_ms", "deadline_ms", "result", "message"}
nlohmann::json to_json(const Command& c);
// {"key", "ts", "value"}
nlohmann::json to_json(const Point& p);
// {"start", "count", "sum", "min", "max", "avg"}
nlohmann::json to_json(const Bucket& b);

}  // namespace trellis::db
