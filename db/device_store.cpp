#include "db/device_store.hpp"

#include "core/message.hpp"
#include "core/text_encoding.hpp"
#include "db/cursor.hpp"
#include "db/database.hpp"
#include "db/errors.hpp"
#include "db/password.hpp"
#include "db/telemetry_store.hpp"
#include "db/usernames.hpp"
#include "db/validate.hpp"

namespace trellis::db {

namespace {

constexpr std::string_view columns =
    "id, name, type, attributes, protocol, created_ms, updated_ms, online, last_seen_ms, "
    "remote_address, mqtt_username, mqtt_password_hash IS NOT NULL, lwm2m_endpoint, psk_identity, "
    "psk_key IS NOT NULL";

constexpr std::string_view cursor_tag = "devices";

std::string select_where(std::string_view condition) {
  return "SELECT " + std::string(columns) + " FROM devices WHERE " + std::string(condition);
}

Device read_row(const Statement& st) {
  Device d;
  d.id = st.column_text(0);
  d.name = st.column_text(1);
  d.type = st.column_text(2);
  d.attributes = nlohmann::json::parse(st.column_text(3), nullptr, false);
  if (!d.attributes.is_object()) d.attributes = nlohmann::json::object();
  d.protocol = st.column_text(4);
  d.created_ms = st.column_int(5);
  d.updated_ms = st.column_int(6);
  d.online = st.column_int(7) != 0;
  d.last_seen_ms = st.column_int(8);
  d.remote_address = st.column_text(9);
  d.mqtt_username = st.column_optional_text(10);
  d.has_password = st.column_int(11) != 0;
  d.lwm2m_endpoint = st.column_optional_text(12);
  d.psk_identity = st.column_optional_text(13);
  d.has_psk = st.column_int(14) != 0;
  return d;
}

std::optional<Device> read_device(Connection& c, std::string_view id) {
  auto st = c.prepare(select_where("id = ?"));
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  auto d = read_row(st);
  st.reset();
  return d;
}

Error not_found(std::string_view id) {
  return error(errc::not_found, "device '" + std::string(id) + "' does not exist");
}

Status validate_protocol(std::string_view p) {
  if (p.empty() || p == "mqtt" || p == "mqttsn" || p == "lwm2m") return Ok{};
  return error(errc::invalid_argument,
               "protocol '" + std::string(p) + "' is not one of mqtt, mqttsn, lwm2m");
}

Status validate_attributes(const nlohmann::json& a) {
  if (a.is_object()) return Ok{};
  return error(errc::invalid_argument, "attributes must be a JSON object");
}

Status validate_username(std::string_view u) {
  return validate_text(u, "MQTT username", max_name_length);
}
Status validate_password(std::string_view p) {
  return validate_text(p, "MQTT password", max_secret_length);
}
Status validate_psk_identity(std::string_view i) {
  return validate_text(i, "PSK identity", max_name_length);
}

Result<std::string> decode_psk_key(std::string_view hex) {
  auto key = hex_decode(hex);
  if (!key) return error(errc::invalid_argument, "psk_key is not hex: " + key.error().message);
  if (key->empty() || key->size() > max_psk_key_bytes) {
    return error(errc::invalid_argument,
                 "psk_key must be 1 to " + std::to_string(max_psk_key_bytes) + " bytes");
  }
  return *key;
}

// Credential fields that are taken by another device (or an application).
Status check_free(Connection& c, std::string_view self, const std::optional<std::string>& username,
                  const std::optional<std::string>& endpoint,
                  const std::optional<std::string>& identity) {
  if (username) {
    auto holder = username_holder(c, *username);
    if (holder && *holder != "device '" + std::string(self) + "'") {
      return error(errc::conflict, "MQTT username '" + *username + "' is taken by " + *holder);
    }
  }
  auto taken = [&](std::string_view sql, const std::string& v) -> std::optional<std::string> {
    auto st = c.prepare(sql);
    st.bind_all(v, self);
    if (!st.step()) return std::nullopt;
    std::string other = st.column_text(0);
    st.reset();
    return other;
  };
  if (endpoint) {
    if (auto other =
            taken("SELECT id FROM devices WHERE lwm2m_endpoint = ? AND id <> ?", *endpoint)) {
      return error(errc::conflict,
                   "LwM2M endpoint '" + *endpoint + "' belongs to device '" + *other + "'");
    }
  }
  if (identity) {
    if (auto other =
            taken("SELECT id FROM devices WHERE psk_identity = ? AND id <> ?", *identity)) {
      return error(errc::conflict,
                   "PSK identity '" + *identity + "' belongs to device '" + *other + "'");
    }
  }
  return Ok{};
}

}  // namespace

DeviceStore::DeviceStore(Database& db, TelemetryStore& telemetry)
    : db_(db), telemetry_(telemetry) {}

Result<Device> DeviceStore::create(const NewDevice& d) {
  if (auto st = validate_topic_level_name(d.id, "device id"); !st) return st.error();
  if (auto st = validate_text(d.name, "name", max_name_length, true); !st) return st.error();
  if (auto st = validate_text(d.type, "type", max_name_length, true); !st) return st.error();
  if (auto st = validate_attributes(d.attributes); !st) return st.error();
  if (auto st = validate_protocol(d.protocol); !st) return st.error();
  const auto& cr = d.credentials;
  if (cr.mqtt_username) {
    if (auto st = validate_username(*cr.mqtt_username); !st) return st.error();
  }
  std::optional<std::string> hash;
  if (cr.mqtt_password) {
    if (!cr.mqtt_username) {
      return error(errc::invalid_argument, "an MQTT password needs an MQTT username");
    }
    if (auto st = validate_password(*cr.mqtt_password); !st) return st.error();
  }
  if (cr.lwm2m_endpoint) {
    if (auto st = validate_topic_level_name(*cr.lwm2m_endpoint, "LwM2M endpoint"); !st) {
      return st.error();
    }
  }
  if (cr.psk_identity.has_value() != cr.psk_key_hex.has_value()) {
    return error(errc::invalid_argument, "psk_identity and psk_key go together");
  }
  std::optional<std::string> psk_key;
  if (cr.psk_identity) {
    if (auto st = validate_psk_identity(*cr.psk_identity); !st) return st.error();
    auto key = decode_psk_key(*cr.psk_key_hex);
    if (!key) return key.error();
    psk_key = std::move(*key);
  }
  // Hash before queueing: PBKDF2 takes milliseconds the writer should not spend.
  if (cr.mqtt_password) hash = hash_password(*cr.mqtt_password, db_.options().password_iterations);

  std::string name = d.name.empty() ? d.id : d.name;
  std::string attributes = d.attributes.dump();
  auto r = db_.writer().call([&](Connection& c) -> Result<Device> {
    if (read_device(c, d.id)) {
      return error(errc::conflict, "device '" + d.id + "' already exists");
    }
    if (auto st = check_free(c, d.id, cr.mqtt_username, cr.lwm2m_endpoint, cr.psk_identity); !st) {
      return st.error();
    }
    int64_t now = now_ms();
    auto ins = c.prepare(
        "INSERT INTO devices(id, name, type, attributes, protocol, created_ms, updated_ms, "
        "mqtt_username, mqtt_password_hash, lwm2m_endpoint, psk_identity, psk_key) "
        "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    ins.bind_all(d.id, name, d.type, attributes, d.protocol, now, now, cr.mqtt_username, hash,
                 cr.lwm2m_endpoint, cr.psk_identity);
    if (psk_key) {
      ins.bind_blob(12, *psk_key);
    } else {
      ins.bind(12, nullptr);
    }
    ins.run();
    return *read_device(c, d.id);
  });
  if (r) {
    {
      std::lock_guard lock(ids_mu_);
      if (ids_) ids_->insert(d.id);
    }
    db_.registry_changed();
    if (created_listener_) created_listener_(d.id);
  }
  return r;
}

bool DeviceStore::exists(std::string_view id) const {
  std::lock_guard lock(ids_mu_);
  if (!ids_) {
    // Loading under the lock orders it with create() and remove(), which
    // update the set after their commit.
    std::unordered_set<std::string> ids;
    auto loaded = guarded([&]() -> Status {
      auto c = db_.readers().acquire();
      auto st = c->prepare("SELECT id FROM devices");
      while (st.step()) ids.insert(st.column_text(0));
      return Ok{};
    });
    if (!loaded) return get(id).ok();  // not cached: ask the database this time
    ids_ = std::move(ids);
  }
  return ids_->contains(std::string(id));
}

Result<Device> DeviceStore::get(std::string_view id) const {
  return guarded([&]() -> Result<Device> {
    auto c = db_.readers().acquire();
    auto d = read_device(*c, id);
    if (!d) return not_found(id);
    return std::move(*d);
  });
}

Result<DevicePage> DeviceStore::list(std::size_t limit, std::string_view cursor) const {
  std::string after;
  if (!cursor.empty()) {
    auto fields = decode_cursor(cursor, cursor_tag, 1);
    if (!fields) return error(errc::invalid_argument, "cursor is not one this list gave out");
    after = (*fields)[0];
  }
  limit = std::clamp<std::size_t>(limit, 1, max_page_size);
  return guarded([&]() -> Result<DevicePage> {
    auto c = db_.readers().acquire();
    auto st = c->prepare(select_where("id > ? ORDER BY id LIMIT ?"));
    st.bind_all(after, static_cast<int64_t>(limit + 1));
    DevicePage page;
    while (st.step()) page.devices.push_back(read_row(st));
    if (page.devices.size() > limit) {
      page.devices.pop_back();
      page.next_cursor = encode_cursor(cursor_tag, {page.devices.back().id});
    }
    return page;
  });
}

Result<Device> DeviceStore::patch(std::string_view id, const DevicePatch& p) {
  if (p.name) {
    if (auto st = validate_text(*p.name, "name", max_name_length, true); !st) return st.error();
  }
  if (p.type) {
    if (auto st = validate_text(*p.type, "type", max_name_length, true); !st) return st.error();
  }
  if (p.mqtt_username && *p.mqtt_username) {
    if (auto st = validate_username(**p.mqtt_username); !st) return st.error();
  }
  if (p.mqtt_password && *p.mqtt_password) {
    if (auto st = validate_password(**p.mqtt_password); !st) return st.error();
    if (p.mqtt_username && !*p.mqtt_username) {
      return error(errc::invalid_argument, "an MQTT password needs an MQTT username");
    }
  }
  if (p.lwm2m_endpoint && *p.lwm2m_endpoint) {
    if (auto st = validate_topic_level_name(**p.lwm2m_endpoint, "LwM2M endpoint"); !st) {
      return st.error();
    }
  }
  if (p.psk_identity && *p.psk_identity) {
    if (auto st = validate_psk_identity(**p.psk_identity); !st) return st.error();
  }
  if (p.psk_identity && !*p.psk_identity && p.psk_key_hex) {
    return error(errc::invalid_argument, "psk_key cannot be set while psk_identity is cleared");
  }
  std::optional<std::string> new_key;
  if (p.psk_key_hex) {
    auto key = decode_psk_key(*p.psk_key_hex);
    if (!key) return key.error();
    new_key = std::move(*key);
  }
  std::optional<std::string> new_hash;
  if (p.mqtt_password && *p.mqtt_password) {
    new_hash = hash_password(**p.mqtt_password, db_.options().password_iterations);
  }

  auto r = db_.writer().call([&](Connection& c) -> Result<Device> {
    auto cur = c.prepare(
        "SELECT name, type, attributes, mqtt_username, mqtt_password_hash, lwm2m_endpoint, "
        "psk_identity, psk_key FROM devices WHERE id = ?");
    cur.bind(1, id);
    if (!cur.step()) return not_found(id);
    std::string name = p.name ? *p.name : cur.column_text(0);
    std::string type = p.type ? *p.type : cur.column_text(1);
    std::string attributes = cur.column_text(2);
    if (p.attributes) {
      auto merged = nlohmann::json::parse(attributes, nullptr, false);
      if (!merged.is_object()) merged = nlohmann::json::object();
      merged.merge_patch(*p.attributes);
      if (merged.is_null()) merged = nlohmann::json::object();
      if (auto st = validate_attributes(merged); !st) return st.error();
      attributes = merged.dump();
    }
    auto username = p.mqtt_username ? *p.mqtt_username : cur.column_optional_text(3);
    std::optional<std::string> hash = cur.column_optional_text(4);
    auto endpoint = p.lwm2m_endpoint ? *p.lwm2m_endpoint : cur.column_optional_text(5);
    auto identity = p.psk_identity ? *p.psk_identity : cur.column_optional_text(6);
    std::optional<std::string> key;
    if (!cur.is_null(7)) key = cur.column_blob(7);
    cur.reset();

    if (p.mqtt_password) hash = *p.mqtt_password ? new_hash : std::nullopt;
    if (!username) {
      if (p.mqtt_password && *p.mqtt_password) {
        return error(errc::invalid_argument, "an MQTT password needs an MQTT username");
      }
      hash.reset();
    }
    if (new_key) key = new_key;
    if (!identity) {
      if (new_key) return error(errc::invalid_argument, "psk_key needs a psk_identity");
      key.reset();
    } else if (!key) {
      return error(errc::invalid_argument, "psk_identity needs a psk_key");
    }
    if (auto st = check_free(c, id, p.mqtt_username ? username : std::nullopt,
                             p.lwm2m_endpoint ? endpoint : std::nullopt,
                             p.psk_identity ? identity : std::nullopt);
        !st) {
      return st.error();
    }
    auto up = c.prepare(
        "UPDATE devices SET name = ?, type = ?, attributes = ?, updated_ms = ?, mqtt_username = ?, "
        "mqtt_password_hash = ?, lwm2m_endpoint = ?, psk_identity = ?, psk_key = ? WHERE id = ?");
    up.bind_all(name, type, attributes, now_ms(), username, hash, endpoint, identity);
    if (key) {
      up.bind_blob(9, *key);
    } else {
      up.bind(9, nullptr);
    }
    up.bind(10, id);
    up.run();
    return *read_device(c, id);
  });
  if (r) db_.registry_changed();
  return r;
}

Status DeviceStore::remove(std::string_view id) {
  auto r = db_.writer().call([&](Connection& c) -> Status {
    if (!read_device(c, id)) return not_found(id);
    telemetry_.forget_device_series(std::string(id));
    // Telemetry tables carry no foreign key (a per-point check would tax ingest):
    // clear them by series before the device's series go with the device.
    c.prepare(
         "DELETE FROM telemetry WHERE series_id IN (SELECT id FROM series WHERE device_id = ?)")
        .bind(1, id)
        .run();
    c.prepare(
         "DELETE FROM telemetry_rollup WHERE series_id IN "
         "(SELECT id FROM series WHERE device_id = ?)")
        .bind(1, id)
        .run();
    c.prepare("DELETE FROM devices WHERE id = ?").bind(1, id).run();
    return Ok{};
  });
  if (r) {
    {
      std::lock_guard lock(ids_mu_);
      if (ids_) ids_->erase(std::string(id));
    }
    db_.registry_changed();
  }
  return r;
}

Result<Device> DeviceStore::find_by(std::string_view column_sql, std::string_view value,
                                    std::string_view what) const {
  return guarded([&]() -> Result<Device> {
    auto c = db_.readers().acquire();
    auto st = c->prepare(select_where(column_sql));
    st.bind(1, value);
    if (!st.step()) {
      return error(errc::not_found,
                   "no device has " + std::string(what) + " '" + std::string(value) + "'");
    }
    auto d = read_row(st);
    st.reset();
    return d;
  });
}

Result<Device> DeviceStore::find_by_username(std::string_view username) const {
  return find_by("mqtt_username = ?", username, "MQTT username");
}

Result<Device> DeviceStore::find_by_endpoint(std::string_view endpoint) const {
  return find_by("lwm2m_endpoint = ?", endpoint, "LwM2M endpoint");
}

Result<Device> DeviceStore::find_by_psk_identity(std::string_view identity) const {
  return find_by("psk_identity = ?", identity, "PSK identity");
}

Result<std::optional<DeviceStore::Login>> DeviceStore::login_for_username(
    std::string_view username) const {
  return guarded([&]() -> Result<std::optional<Login>> {
    auto c = db_.readers().acquire();
    auto st = c->prepare(
        "SELECT id, mqtt_password_hash, lwm2m_endpoint FROM devices WHERE mqtt_username = ?");
    st.bind(1, username);
    if (!st.step()) return std::optional<Login>();
    Login l{st.column_text(0), st.column_optional_text(1), st.column_optional_text(2)};
    st.reset();
    return std::optional<Login>(std::move(l));
  });
}

Result<std::optional<DeviceStore::PskEntry>> DeviceStore::psk_for_identity(
    std::string_view identity) const {
  return guarded([&]() -> Result<std::optional<PskEntry>> {
    auto c = db_.readers().acquire();
    auto st = c->prepare(
        "SELECT psk_key, id FROM devices WHERE psk_identity = ? AND psk_key IS NOT NULL");
    st.bind(1, identity);
    if (!st.step()) return std::optional<PskEntry>();
    PskEntry e{st.column_blob(0), st.column_text(1)};
    st.reset();
    return std::optional<PskEntry>(std::move(e));
  });
}

void DeviceStore::record_presence(std::string device_id, bool online, int64_t time_ms,
                                  std::string remote, std::string protocol) {
  db_.writer().post([=](Connection& c) {
    // The first protocol a device is seen with becomes its protocol; later
    // connects over another one do not flip it back and forth.
    c.prepare(
         "UPDATE devices SET online = ?, last_seen_ms = ?, "
         "remote_address = CASE WHEN ? THEN ? ELSE remote_address END, "
         "protocol = CASE WHEN protocol = '' THEN ? ELSE protocol END WHERE id = ?")
        .bind_all(online, time_ms, online, remote, protocol, device_id)
        .run();
  });
}

Status DeviceStore::reset_presence() {
  return db_.writer().call([](Connection& c) -> Status {
    c.exec("UPDATE devices SET online = 0 WHERE online <> 0");
    return Ok{};
  });
}

}  // namespace trellis::db
