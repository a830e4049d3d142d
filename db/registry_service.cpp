#include "db/registry_service.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/log.hpp"
#include "core/message.hpp"
#include "db/application_store.hpp"
#include "db/crypto.hpp"
#include "db/database.hpp"
#include "db/device_store.hpp"
#include "db/errors.hpp"
#include "db/password.hpp"
#include "db/validate.hpp"

namespace trellis::db {

namespace {

// Caches are dropped whole past this size, so unknown names cannot grow them
// without bound.
constexpr std::size_t max_cache_entries = 50'000;

std::string admit_key(std::string_view protocol, std::string_view identity) {
  // LwM2M resolves endpoint names, the others device ids: separate keys.
  std::string key(protocol == "lwm2m" ? "lwm2m" : "id");
  key += '\0';
  key += identity;
  return key;
}

}  // namespace

RegistryService::RegistryService(Database& db, RegistryOptions opts)
    : db_(db), opts_(std::move(opts)), tag_key_(random_bytes(32)) {
  if (auto st = db_.devices().reset_presence(); !st) {
    TLOG(warn, "registry") << "cannot reset presence" << log::kv("error", st.error().message);
  }
}

void RegistryService::set_presence_callback(PresenceCallback cb) {
  std::lock_guard lk(presence_mu_);
  presence_cb_ = std::move(cb);
}

uint64_t RegistryService::sync_generation() {
  uint64_t gen = db_.registry_generation();
  if (cache_generation_ != gen || logins_.size() + admitted_.size() > max_cache_entries) {
    logins_.clear();
    admitted_.clear();
    cache_generation_ = gen;
  }
  return gen;
}

std::optional<RegistryService::Login> RegistryService::login(const std::string& username) {
  uint64_t gen;
  {
    std::lock_guard lk(cache_mu_);
    gen = sync_generation();
    auto it = logins_.find(username);
    if (it != logins_.end()) return it->second;
  }
  Login l;
  auto dev = db_.devices().login_for_username(username);
  if (!dev) return std::nullopt;
  if (*dev) {
    l.kind = PrincipalKind::device;
    l.id = (*dev)->device_id;
    l.password_hash = (*dev)->password_hash;
    l.endpoint = (*dev)->lwm2m_endpoint;
    l.acl = device_acl(l.id, l.endpoint);
  } else {
    auto app = db_.applications().login_for_username(username);
    if (!app) return std::nullopt;
    if (*app) {
      l.kind = PrincipalKind::application;
      l.id = (*app)->name;
      l.password_hash = (*app)->password_hash;
      l.api_key_sha256 = (*app)->api_key_sha256;
      l.acl = (*app)->acl;
    }
  }
  std::lock_guard lk(cache_mu_);
  // Stored only if nothing changed since the read began; otherwise the next
  // lookup reads again.
  if (cache_generation_ == gen) logins_[username] = l;
  return l;
}

std::string RegistryService::password_tag(const std::string& password) const {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), tag_key_.data(), static_cast<int>(tag_key_.size()),
       reinterpret_cast<const unsigned char*>(password.data()), password.size(), md, &len);
  return std::string(reinterpret_cast<const char*>(md), len);
}

bool RegistryService::check_password(const std::string& username, const Login& l,
                                     const std::string& password) {
  std::string tag;
  if (opts_.cache_verified_passwords) {
    tag = password_tag(password);
    if (!l.verified_tag.empty()) return constant_time_equal(tag, l.verified_tag);
  }
  bool ok = false;
  if (l.password_hash) {
    ok = verify_password(password, *l.password_hash);
  } else if (l.api_key_sha256) {
    // An application with only an API key may present it as its password.
    ok = constant_time_equal(sha256_hex(password), *l.api_key_sha256);
  }
  if (ok && opts_.cache_verified_passwords) {
    std::lock_guard lk(cache_mu_);
    auto it = logins_.find(username);
    if (it != logins_.end() && it->second.id == l.id) it->second.verified_tag = tag;
  }
  return ok;
}

AuthOutcome RegistryService::authenticate(const ConnectCredentials& creds) {
  AuthOutcome out;
  if (!creds.username || creds.username->empty()) {
    if (opts_.allow_anonymous) {
      out.status = AuthStatus::accepted;
      out.principal = Principal{PrincipalKind::anonymous, "", "", opts_.anonymous_acl};
      auth_accepted_.fetch_add(1);
    } else {
      out.status = AuthStatus::not_authorized;
      auth_not_authorized_.fetch_add(1);
    }
    return out;
  }
  auto l = login(*creds.username);
  if (!l) {
    // The registry cannot be read: refuse rather than guess.
    out.status = AuthStatus::not_authorized;
    auth_not_authorized_.fetch_add(1);
    return out;
  }
  // An unknown username and a wrong password get the same answer, even while
  // anonymous access is on: presenting a username means asking to be checked.
  if (l->kind == PrincipalKind::anonymous || !creds.password ||
      !check_password(*creds.username, *l, *creds.password)) {
    out.status = AuthStatus::bad_credentials;
    auth_bad_credentials_.fetch_add(1);
    return out;
  }
  out.status = AuthStatus::accepted;
  out.principal = Principal{l->kind, l->id, *creds.username, l->acl};
  auth_accepted_.fetch_add(1);
  return out;
}

std::optional<Authenticator::Psk> RegistryService::psk_for_identity(std::string_view identity) {
  auto r = db_.devices().psk_for_identity(identity);
  if (!r || !*r) return std::nullopt;
  return Psk{(*r)->key, (*r)->device_id};
}

Acl RegistryService::device_acl(const std::string& device_id,
                                const std::optional<std::string>& endpoint) const {
  Acl acl;
  acl.publish.push_back(device_id + "/#");
  if (endpoint) acl.publish.push_back(opts_.lwm2m_topic_prefix + "/" + *endpoint + "/#");
  acl.subscribe = acl.publish;
  return acl;
}

std::optional<std::string> RegistryService::resolve(std::string_view protocol,
                                                    const std::string& identity) {
  auto& devices = db_.devices();
  if (protocol == "lwm2m") {
    if (auto d = devices.find_by_endpoint(identity)) return d->id;
    // A device registered by id without an endpoint takes the endpoint name as its id.
    if (auto d = devices.get(identity); d && !d->lwm2m_endpoint) return d->id;
    return std::nullopt;
  }
  if (auto d = devices.get(identity)) return d->id;
  return std::nullopt;
}

std::optional<std::string> RegistryService::find(std::string_view protocol,
                                                 std::string_view identity) {
  {
    std::lock_guard lk(cache_mu_);
    sync_generation();
    auto it = admitted_.find(admit_key(protocol, identity));
    if (it != admitted_.end()) return it->second;
  }
  return resolve(protocol, std::string(identity));
}

std::optional<std::string> RegistryService::admit(std::string_view protocol,
                                                  std::string_view identity) {
  std::string id(identity);
  std::string key = admit_key(protocol, identity);
  uint64_t gen;
  {
    std::lock_guard lk(cache_mu_);
    gen = sync_generation();
    auto it = admitted_.find(key);
    if (it != admitted_.end()) {
      admitted_count_.fetch_add(1);
      return it->second;
    }
  }
  auto found = resolve(protocol, id);
  if (!found && opts_.auto_register) {
    if (auto st = validate_topic_level_name(id, "device id"); !st) {
      refused_.fetch_add(1);
      TLOG(info, "registry") << "device refused" << log::kv("protocol", protocol)
                             << log::kv("identity", id) << log::kv("reason", st.error().message);
      return std::nullopt;
    }
    NewDevice nd;
    nd.id = id;
    nd.protocol = std::string(protocol);
    if (protocol == "lwm2m") nd.credentials.lwm2m_endpoint = id;
    auto created = db_.devices().create(nd);
    if (created) {
      found = created->id;
      auto_registered_.fetch_add(1);
      TLOG(info, "registry") << "device registered" << log::kv("device", id)
                             << log::kv("protocol", protocol);
      // The creation bumped the generation; the entry below belongs to it.
      std::lock_guard lk(cache_mu_);
      gen = sync_generation();
    } else {
      // Another connect may have created it a moment ago.
      found = resolve(protocol, id);
    }
  }
  if (!found) {
    refused_.fetch_add(1);
    TLOG(info, "registry") << "unknown device refused" << log::kv("protocol", protocol)
                           << log::kv("identity", id);
    return std::nullopt;
  }
  admitted_count_.fetch_add(1);
  std::lock_guard lk(cache_mu_);
  if (cache_generation_ == gen) admitted_[key] = *found;
  return found;
}

void RegistryService::set_online(std::string_view device_id, std::string_view protocol,
                                 std::string_view remote) {
  std::string id(device_id);
  std::string proto(protocol);
  // Stored and told under the lock: a takeover runs this and set_offline on
  // two strands at once, and the last change told must be the last made.
  std::lock_guard lk(presence_mu_);
  const int64_t t = now_ms();
  const bool became_online = connections_[id]++ == 0;
  db_.devices().record_presence(id, true, t, std::string(remote), proto);
  if (became_online && presence_cb_) presence_cb_(id, proto, true, t);
}

void RegistryService::set_offline(std::string_view device_id, std::string_view protocol) {
  std::string id(device_id);
  std::string proto(protocol);
  std::lock_guard lk(presence_mu_);  // see set_online
  const int64_t t = now_ms();
  // A second connection of the same device (a session take-over, or another
  // protocol) keeps it online until the last one goes.
  auto it = connections_.find(id);
  if (it == connections_.end() || --it->second > 0) return;
  connections_.erase(it);
  db_.devices().record_presence(id, false, t, {}, proto);
  if (presence_cb_) presence_cb_(id, proto, false, t);
}

RegistryService::Stats RegistryService::stats() const {
  return Stats{auth_accepted_.load(),  auth_bad_credentials_.load(), auth_not_authorized_.load(),
               admitted_count_.load(), auto_registered_.load(),      refused_.load()};
}

}  // namespace trellis::db
