#pragma once
// The registry as adapters see it: MQTT authentication and ACLs, DTLS PSK
// lookup, admission of (and auto-registration for) devices, and presence.
// Called on every connect from many strands: thread-safe, and credentials and
// admissions are cached until the registry changes (Database generation).
#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/auth.hpp"

namespace trellis::db {

class Database;

struct RegistryOptions {
  bool allow_anonymous = true;                 // mqtt.allow_anonymous
  SharedAcl anonymous_acl = Acl::allow_all();  // mqtt.anonymous_acl
  bool auto_register = true;                   // registry.auto_register
  std::string lwm2m_topic_prefix = "lwm2m";    // lwm2m.topic_prefix
  // Remembers a keyed digest of a password that verified, so a reconnect
  // skips PBKDF2; forgotten whenever devices or applications change.
  bool cache_verified_passwords = true;
};

// Told when a device goes from no connection to one (online = true) and back;
// the app publishes $events/devices/{id}/online|offline from it. Runs on the
// adapter's thread under the registry's presence lock, so changes are told in
// the order they were made: queue, do not block, do not call the registry.
using PresenceCallback = std::function<void(
    const std::string& device_id, const std::string& protocol, bool online, int64_t time_ms)>;

class RegistryService final : public Authenticator, public DeviceDirectory {
 public:
  // Marks every device offline: nothing is connected yet.
  RegistryService(Database& db, RegistryOptions opts);

  // Set before adapters start.
  void set_presence_callback(PresenceCallback cb);

  AuthOutcome authenticate(const ConnectCredentials& creds) override;
  std::optional<Psk> psk_for_identity(std::string_view identity) override;
  std::optional<std::string> admit(std::string_view protocol, std::string_view identity) override;
  std::optional<std::string> find(std::string_view protocol, std::string_view identity) override;
  void set_online(std::string_view device_id, std::string_view protocol,
                  std::string_view remote) override;
  void set_offline(std::string_view device_id, std::string_view protocol) override;

  // What a device principal may do: publish and subscribe under "{id}/#", and
  // under "{prefix}/{endpoint}/#" when it has an LwM2M endpoint.
  Acl device_acl(const std::string& device_id, const std::optional<std::string>& endpoint) const;

  struct Stats {
    uint64_t auth_accepted = 0;
    uint64_t auth_bad_credentials = 0;
    uint64_t auth_not_authorized = 0;
    uint64_t admitted = 0;
    uint64_t auto_registered = 0;
    uint64_t refused = 0;  // unknown device with auto-registration off, or an unusable identity
  };
  Stats stats() const;

 private:
  struct Login {
    PrincipalKind kind = PrincipalKind::anonymous;  // anonymous: no such username
    std::string id;
    std::optional<std::string> password_hash;
    std::optional<std::string> api_key_sha256;
    std::optional<std::string> endpoint;
    SharedAcl acl;
    std::string verified_tag;  // keyed digest of a password that verified; empty if none
  };
  std::optional<Login> login(const std::string& username);
  bool check_password(const std::string& username, const Login& l, const std::string& password);
  std::string password_tag(const std::string& password) const;
  // Clears the caches when the registry changed since they were filled;
  // returns the generation the caller's database read belongs to.
  uint64_t sync_generation();
  std::optional<std::string> resolve(std::string_view protocol, const std::string& identity);

  Database& db_;
  RegistryOptions opts_;
  std::string tag_key_;

  std::mutex cache_mu_;
  uint64_t cache_generation_ = 0;
  std::unordered_map<std::string, Login> logins_;
  std::unordered_map<std::string, std::string> admitted_;  // protocol '\0' identity -> device

  std::mutex presence_mu_;
  std::unordered_map<std::string, int> connections_;  // device -> live connections
  PresenceCallback presence_cb_;

  std::atomic<uint64_t> auth_accepted_{0};
  std::atomic<uint64_t> auth_bad_credentials_{0};
  std::atomic<uint64_t> auth_not_authorized_{0};
  std::atomic<uint64_t> admitted_count_{0};
  std::atomic<uint64_t> auto_registered_{0};
  std::atomic<uint64_t> refused_{0};
};

}  // namespace trellis::db
