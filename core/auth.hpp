#pragma once
// What adapters need from the device registry, as interfaces that `db`
// implements and the app injects: adapters never include `db`.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trellis {

// Topic filters a client may publish to and subscribe to, and filters denied
// whatever the allow lists say (deny wins). Patterns may use %c (client id)
// and %u (username), as Mosquitto's ACL patterns do. In ACL patterns "#" means
// every topic, `$` topics included (publishing to `$SYS` is refused elsewhere).
struct Acl {
  std::vector<std::string> publish;
  std::vector<std::string> subscribe;
  std::vector<std::string> deny;

  static Acl allow_all() { return Acl{{"#"}, {"#"}, {}}; }
};

// An Acl held by reference count: every connection of one kind (anonymous
// clients, say) shares one copy instead of holding its own lists.
class SharedAcl {
 public:
  SharedAcl() = default;  // allows nothing
  // Implicit, so a Principal can be written with a plain Acl.
  SharedAcl(Acl acl) : acl_(std::make_shared<const Acl>(std::move(acl))) {}
  const Acl& operator*() const { return acl_ ? *acl_ : none(); }
  const Acl* operator->() const { return &**this; }
  // The same shared copy (not merely equal lists).
  friend bool operator==(const SharedAcl&, const SharedAcl&) = default;

 private:
  static const Acl& none();
  std::shared_ptr<const Acl> acl_;
};

enum class PrincipalKind { anonymous, device, application };

// Who a connected client turned out to be, and what it may do.
struct Principal {
  PrincipalKind kind = PrincipalKind::anonymous;
  std::string id;        // device id or application name; empty when anonymous
  std::string username;  // as presented
  SharedAcl acl;

  // Whether this principal may publish to a topic name.
  bool may_publish(std::string_view topic, std::string_view client_id) const;
  // Whether every topic the filter can match lies inside what may be read and
  // the filter is not inside a denied pattern.
  bool may_subscribe(std::string_view filter, std::string_view client_id) const;
  // Delivery-time check for topics a wide subscription reaches into a denied
  // pattern; always true when nothing is denied.
  bool may_receive(std::string_view topic, std::string_view client_id) const;
};

enum class AuthStatus {
  accepted,
  bad_credentials,  // MQTT CONNACK 0x04
  not_authorized,   // MQTT CONNACK 0x05
};

struct AuthOutcome {
  AuthStatus status = AuthStatus::not_authorized;
  Principal principal;
};

struct ConnectCredentials {
  std::string protocol;  // "mqtt", "mqttsn", "lwm2m"
  std::string client_id;
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::string remote;  // "ip:port"
};

// Implemented by the registry (db); adapters call it on their own strands, so
// implementations are thread-safe.
class Authenticator {
 public:
  virtual ~Authenticator() = default;

  // Decides a connect: a known username with the wrong password is refused even
  // while anonymous access is allowed.
  virtual AuthOutcome authenticate(const ConnectCredentials& creds) = 0;

  // DTLS PSK lookup by identity: the key bytes and the device id it belongs to.
  struct Psk {
    std::string key;
    std::string device_id;
  };
  virtual std::optional<Psk> psk_for_identity(std::string_view identity) = 0;
};

// Presence and auto-registration: adapters report what devices do; the
// registry decides whether an unknown device is admitted.
class DeviceDirectory {
 public:
  virtual ~DeviceDirectory() = default;

  // Resolves a protocol-level identity (MQTT client id, LwM2M endpoint name,
  // MQTT-SN client id) to a device id, creating the device when auto-registration
  // is on. nullopt means refused (unknown device and auto-registration off).
  virtual std::optional<std::string> admit(std::string_view protocol,
                                           std::string_view identity) = 0;
  // The same resolution without creating anything: the device already registered
  // for this identity, or nullopt.
  virtual std::optional<std::string> find(std::string_view protocol, std::string_view identity) = 0;

  virtual void set_online(std::string_view device_id, std::string_view protocol,
                          std::string_view remote) = 0;
  virtual void set_offline(std::string_view device_id, std::string_view protocol) = 0;
};

}  // namespace trellis
