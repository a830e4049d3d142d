#pragma once
// Devices and applications as the registry stores them. Secrets go in
// (passwords, PSK keys, API keys) but never come back out: the returned
// structs only say whether one is set.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/auth.hpp"

namespace trellis::db {

// A field of a partial update: absent (leave alone), a value (set) or an
// empty optional inside (clear), as JSON merge-patch's missing / value / null.
template <typename T>
using Change = std::optional<std::optional<T>>;

struct Device {
  std::string id{};
  std::string name{};
  std::string type{};
  nlohmann::json attributes = nlohmann::json::object();
  std::string protocol{};  // "", "mqtt", "mqttsn" or "lwm2m"
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  bool online = false;
  int64_t last_seen_ms = 0;
  std::string remote_address{};
  std::optional<std::string> mqtt_username{};
  bool has_password = false;
  std::optional<std::string> lwm2m_endpoint{};
  std::optional<std::string> psk_identity{};
  bool has_psk = false;
};

struct DeviceCredentials {
  std::optional<std::string> mqtt_username{};
  std::optional<std::string> mqtt_password{};  // needs mqtt_username
  std::optional<std::string> lwm2m_endpoint{};
  std::optional<std::string> psk_identity{};  // with psk_key_hex
  std::optional<std::string> psk_key_hex{};
};

struct NewDevice {
  std::string id{};
  std::string name{};  // empty: the id
  std::string type{};
  nlohmann::json attributes = nlohmann::json::object();
  std::string protocol{};
  DeviceCredentials credentials{};
};

struct DevicePatch {
  std::optional<std::string> name{};
  std::optional<std::string> type{};
  // RFC 7386 merged into the current attributes: a member set to null goes;
  // null itself clears them all.
  std::optional<nlohmann::json> attributes{};
  Change<std::string> mqtt_username{};  // clearing it clears the password too
  Change<std::string> mqtt_password{};
  Change<std::string> lwm2m_endpoint{};
  Change<std::string> psk_identity{};  // clearing it clears the key too
  std::optional<std::string> psk_key_hex{};
};

struct DevicePage {
  std::vector<Device> devices{};
  std::string next_cursor{};  // empty on the last page
};

// An application (service account): MQTT username + password and/or an API
// key, and the ACL it gets when it connects.
struct Application {
  std::string name{};
  std::optional<std::string> username{};
  bool has_password = false;
  bool has_api_key = false;
  Acl acl{};
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

// Everything, including $SYS (ACL patterns ignore MQTT's '$' rule): see the
// README note on $SYS writes.
inline Acl default_application_acl() {
  return Acl{{"#"}, {"#"}, {}};
}

struct NewApplication {
  std::string name{};
  std::optional<std::string> username{};
  std::optional<std::string> password{};  // needs username
  std::optional<std::string> api_key{};   // stored as its SHA-256
  std::optional<Acl> acl{};               // default_application_acl() when absent
};

struct ApplicationPatch {
  Change<std::string> username{};  // clearing it clears the password too
  Change<std::string> password{};
  Change<std::string> api_key{};
  std::optional<Acl> acl{};
};

struct ApplicationPage {
  std::vector<Application> applications{};
  std::string next_cursor{};
};

// Pages hold at most this many items whatever limit is asked for.
inline constexpr std::size_t max_page_size = 1000;

}  // namespace trellis::db
