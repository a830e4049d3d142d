#include "db/application_store.hpp"

#include "core/log.hpp"
#include "core/message.hpp"
#include "core/text_encoding.hpp"
#include "core/topic.hpp"
#include "db/crypto.hpp"
#include "db/cursor.hpp"
#include "db/database.hpp"
#include "db/errors.hpp"
#include "db/password.hpp"
#include "db/usernames.hpp"
#include "db/validate.hpp"

namespace trellis::db {

namespace {

constexpr std::string_view columns =
    "name, username, password_hash IS NOT NULL, api_key_sha256 IS NOT NULL, acl, created_ms, "
    "updated_ms";
constexpr std::string_view cursor_tag = "applications";

std::string select_where(std::string_view condition) {
  return "SELECT " + std::string(columns) + " FROM applications WHERE " + std::string(condition);
}

Acl parse_stored_acl(const std::string& application, const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  auto acl = acl_from_json(j);
  if (acl) return *acl;
  // Grants nothing: saved by a version that allowed more (topics of more
  // levels, say) or changed outside Trellis. Said, so that an operator finds
  // why the application is refused everything; read on every look-up.
  TLOG_LIMITED(warn, "db") << "stored ACL no longer valid; it grants nothing, store it again"
                           << log::kv("application", application)
                           << log::kv("error", acl.error().message);
  return Acl{};
}

Application read_row(const Statement& st) {
  Application a;
  a.name = st.column_text(0);
  a.username = st.column_optional_text(1);
  a.has_password = st.column_int(2) != 0;
  a.has_api_key = st.column_int(3) != 0;
  a.acl = parse_stored_acl(a.name, st.column_text(4));
  a.created_ms = st.column_int(5);
  a.updated_ms = st.column_int(6);
  return a;
}

std::optional<Application> read_application(Connection& c, std::string_view name) {
  auto st = c.prepare(select_where("name = ?"));
  st.bind(1, name);
  if (!st.step()) return std::nullopt;
  auto a = read_row(st);
  st.reset();
  return a;
}

Error not_found(std::string_view name) {
  return error(errc::not_found, "application '" + std::string(name) + "' does not exist");
}

Status check_username_free(Connection& c, std::string_view self, const std::string& username) {
  auto holder = username_holder(c, username);
  if (holder && *holder != "application '" + std::string(self) + "'") {
    return error(errc::conflict, "MQTT username '" + username + "' is taken by " + *holder);
  }
  return Ok{};
}

Status check_api_key_free(Connection& c, std::string_view self, const std::string& digest) {
  auto st = c.prepare("SELECT name FROM applications WHERE api_key_sha256 = ? AND name <> ?");
  st.bind_all(digest, self);
  if (st.step()) {
    st.reset();
    // Naming the holder would confirm a guessed key: say only that it is taken.
    return error(errc::conflict, "this API key is already in use");
  }
  return Ok{};
}

}  // namespace

nlohmann::json acl_to_json(const Acl& acl) {
  return nlohmann::json{{"publish", acl.publish}, {"subscribe", acl.subscribe}, {"deny", acl.deny}};
}

Result<Acl> acl_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return error(errc::invalid_argument, "acl must be a JSON object");
  Acl acl;
  for (const auto& [name, value] : j.items()) {
    std::vector<std::string>* list = nullptr;
    if (name == "publish") list = &acl.publish;
    if (name == "subscribe") list = &acl.subscribe;
    if (name == "deny") list = &acl.deny;
    if (!list) {
      return error(errc::invalid_argument,
                   "acl has an unknown member '" + name + "' (publish, subscribe, deny)");
    }
    if (!value.is_array()) {
      return error(errc::invalid_argument, "acl." + name + " must be an array of topic filters");
    }
    for (const auto& f : value) {
      if (!f.is_string()) {
        return error(errc::invalid_argument, "acl." + name + " holds a value that is not a string");
      }
      auto filter = f.get<std::string>();
      if (auto st = topic::validate_filter(filter); !st) {
        return error(errc::invalid_argument,
                     "acl." + name + " filter '" + filter + "': " + st.error().message);
      }
      list->push_back(std::move(filter));
    }
  }
  return acl;
}

std::string generate_api_key() {
  return base64_encode(random_bytes(32), Base64Alphabet::url, false);
}

ApplicationStore::ApplicationStore(Database& db) : db_(db) {}

Result<Application> ApplicationStore::create(const NewApplication& a) {
  if (auto st = validate_text(a.name, "application name", max_id_length); !st) return st.error();
  if (a.username) {
    if (auto st = validate_text(*a.username, "MQTT username", max_name_length); !st) {
      return st.error();
    }
  }
  std::optional<std::string> hash;
  if (a.password) {
    if (!a.username) return error(errc::invalid_argument, "a \"password\" needs a \"username\"");
    if (auto st = validate_text(*a.password, "password", max_secret_length); !st) return st.error();
    hash = hash_password(*a.password, db_.options().password_iterations);
  }
  std::optional<std::string> key_digest;
  if (a.api_key) {
    if (auto st = validate_text(*a.api_key, "API key", max_secret_length); !st) return st.error();
    key_digest = sha256_hex(*a.api_key);
  }
  Acl acl = a.acl ? *a.acl : default_application_acl();
  if (auto checked = acl_from_json(acl_to_json(acl)); !checked) return checked.error();
  std::string acl_text = acl_to_json(acl).dump();

  auto r = db_.writer().call([&](Connection& c) -> Result<Application> {
    if (read_application(c, a.name)) {
      return error(errc::conflict, "application '" + a.name + "' already exists");
    }
    if (a.username) {
      if (auto st = check_username_free(c, a.name, *a.username); !st) return st.error();
    }
    if (key_digest) {
      if (auto st = check_api_key_free(c, a.name, *key_digest); !st) return st.error();
    }
    int64_t now = now_ms();
    c.prepare(
         "INSERT INTO applications(name, username, password_hash, api_key_sha256, acl, "
         "created_ms, updated_ms) VALUES(?, ?, ?, ?, ?, ?, ?)")
        .bind_all(a.name, a.username, hash, key_digest, acl_text, now, now)
        .run();
    return *read_application(c, a.name);
  });
  if (r) db_.registry_changed();
  return r;
}

Result<Application> ApplicationStore::get(std::string_view name) const {
  return guarded([&]() -> Result<Application> {
    auto c = db_.readers().acquire();
    auto a = read_application(*c, name);
    if (!a) return not_found(name);
    return std::move(*a);
  });
}

Result<ApplicationPage> ApplicationStore::list(std::size_t limit, std::string_view cursor) const {
  std::string after;
  if (!cursor.empty()) {
    auto fields = decode_cursor(cursor, cursor_tag, 1);
    if (!fields) return error(errc::invalid_argument, "cursor is not one this list gave out");
    after = (*fields)[0];
  }
  limit = std::clamp<std::size_t>(limit, 1, max_page_size);
  return guarded([&]() -> Result<ApplicationPage> {
    auto c = db_.readers().acquire();
    auto st = c->prepare(select_where("name > ? ORDER BY name LIMIT ?"));
    st.bind_all(after, static_cast<int64_t>(limit + 1));
    ApplicationPage page;
    while (st.step()) page.applications.push_back(read_row(st));
    if (page.applications.size() > limit) {
      page.applications.pop_back();
      page.next_cursor = encode_cursor(cursor_tag, {page.applications.back().name});
    }
    return page;
  });
}

Result<Application> ApplicationStore::patch(std::string_view name, const ApplicationPatch& p) {
  if (p.username && *p.username) {
    if (auto st = validate_text(**p.username, "MQTT username", max_name_length); !st) {
      return st.error();
    }
  }
  std::optional<std::string> new_hash;
  if (p.password && *p.password) {
    if (auto st = validate_text(**p.password, "password", max_secret_length); !st) {
      return st.error();
    }
    new_hash = hash_password(**p.password, db_.options().password_iterations);
  }
  std::optional<std::string> new_digest;
  if (p.api_key && *p.api_key) {
    if (auto st = validate_text(**p.api_key, "API key", max_secret_length); !st) return st.error();
    new_digest = sha256_hex(**p.api_key);
  }
  std::optional<std::string> acl_text;
  if (p.acl) {
    if (auto checked = acl_from_json(acl_to_json(*p.acl)); !checked) return checked.error();
    acl_text = acl_to_json(*p.acl).dump();
  }

  auto r = db_.writer().call([&](Connection& c) -> Result<Application> {
    auto cur = c.prepare(
        "SELECT username, password_hash, api_key_sha256, acl FROM applications WHERE name = ?");
    cur.bind(1, name);
    if (!cur.step()) return not_found(name);
    auto username = p.username ? *p.username : cur.column_optional_text(0);
    auto hash = cur.column_optional_text(1);
    auto digest = p.api_key ? new_digest : cur.column_optional_text(2);
    std::string acl = acl_text ? *acl_text : cur.column_text(3);
    cur.reset();
    if (p.password) hash = new_hash;
    if (!username) {
      if (new_hash) return error(errc::invalid_argument, "a \"password\" needs a \"username\"");
      hash.reset();
    }
    if (p.username && username) {
      if (auto st = check_username_free(c, name, *username); !st) return st.error();
    }
    if (new_digest) {
      if (auto st = check_api_key_free(c, name, *new_digest); !st) return st.error();
    }
    c.prepare(
         "UPDATE applications SET username = ?, password_hash = ?, api_key_sha256 = ?, acl = ?, "
         "updated_ms = ? WHERE name = ?")
        .bind_all(username, hash, digest, acl, now_ms(), name)
        .run();
    return *read_application(c, name);
  });
  if (r) db_.registry_changed();
  return r;
}

Status ApplicationStore::remove(std::string_view name) {
  auto r = db_.writer().call([&](Connection& c) -> Status {
    c.prepare("DELETE FROM applications WHERE name = ?").bind(1, name).run();
    if (c.changes() == 0) return not_found(name);
    return Ok{};
  });
  if (r) db_.registry_changed();
  return r;
}

Result<Application> ApplicationStore::find_by_api_key(std::string_view api_key) const {
  std::string digest = sha256_hex(api_key);
  return guarded([&]() -> Result<Application> {
    auto c = db_.readers().acquire();
    auto st = c->prepare(select_where("api_key_sha256 = ?"));
    st.bind(1, digest);
    if (!st.step()) return error(errc::not_found, "no application has this API key");
    auto a = read_row(st);
    st.reset();
    return a;
  });
}

Result<std::optional<ApplicationStore::Login>> ApplicationStore::login_for_username(
    std::string_view username) const {
  return guarded([&]() -> Result<std::optional<Login>> {
    auto c = db_.readers().acquire();
    auto st = c->prepare(
        "SELECT name, password_hash, api_key_sha256, acl FROM applications WHERE username = ?");
    st.bind(1, username);
    if (!st.step()) return std::optional<Login>();
    std::string name = st.column_text(0);
    Acl acl = parse_stored_acl(name, st.column_text(3));
    Login l{std::move(name), st.column_optional_text(1), st.column_optional_text(2),
            std::move(acl)};
    st.reset();
    return std::optional<Login>(std::move(l));
  });
}

}  // namespace trellis::db
