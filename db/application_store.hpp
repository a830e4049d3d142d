#pragma once
// Applications (service accounts that are not devices): CRUD, and the lookups
// authentication needs. Thread-safe, like DeviceStore.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "db/device.hpp"

namespace trellis::db {

class Database;

// {"publish": [...], "subscribe": [...], "deny": [...]}: lists of topic
// filters (patterns may use %c and %u). Missing lists are empty.
nlohmann::json acl_to_json(const Acl& acl);
Result<Acl> acl_from_json(const nlohmann::json& j);

// A new random API key (32 bytes, base64url).
std::string generate_api_key();

class ApplicationStore {
 public:
  explicit ApplicationStore(Database& db);

  // Errors: invalid_argument, conflict (name or username taken; usernames are
  // shared with devices).
  Result<Application> create(const NewApplication& a);
  Result<Application> get(std::string_view name) const;
  Result<ApplicationPage> list(std::size_t limit, std::string_view cursor = {}) const;
  Result<Application> patch(std::string_view name, const ApplicationPatch& p);
  Status remove(std::string_view name);

  // not_found when no application has this API key.
  Result<Application> find_by_api_key(std::string_view api_key) const;

  struct Login {
    std::string name;
    std::optional<std::string> password_hash;
    std::optional<std::string> api_key_sha256;
    Acl acl;
  };
  Result<std::optional<Login>> login_for_username(std::string_view username) const;

 private:
  Database& db_;
};

}  // namespace trellis::db
