#pragma once
// The device registry table: CRUD with credentials, lookups by credential, and
// presence. Thread-safe; reads use the read pool, writes the database's writer.
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "core/result.hpp"
#include "db/device.hpp"

namespace trellis::db {

class Database;
class TelemetryStore;

class DeviceStore {
 public:
  DeviceStore(Database& db, TelemetryStore& telemetry);

  // Errors: invalid_argument, conflict (id, MQTT username, LwM2M endpoint or
  // PSK identity already taken; usernames are shared with applications).
  Result<Device> create(const NewDevice& d);
  // Told, on the creating thread and outside every lock, after each create()
  // commits. Set once, before anything creates devices.
  void set_created_listener(std::function<void(const std::string& id)> listener) {
    created_listener_ = std::move(listener);
  }
  Result<Device> get(std::string_view id) const;
  // Whether a device has this id, answered from memory: every MQTT connect and
  // disconnect asks, and a database read each time would cost more than the
  // connection itself.
  bool exists(std::string_view id) const;
  // Sorted by id; `cursor` is the next_cursor of the previous page, or empty.
  Result<DevicePage> list(std::size_t limit, std::string_view cursor = {}) const;
  Result<Device> patch(std::string_view id, const DevicePatch& p);
  // Also deletes the device's telemetry and commands.
  Status remove(std::string_view id);

  // not_found when no device has it.
  Result<Device> find_by_username(std::string_view username) const;
  Result<Device> find_by_endpoint(std::string_view endpoint) const;
  Result<Device> find_by_psk_identity(std::string_view identity) const;

  // What authentication needs; secrets included, so these stay inside db.
  struct Login {
    std::string device_id;
    std::optional<std::string> password_hash;
    std::optional<std::string> lwm2m_endpoint;
  };
  Result<std::optional<Login>> login_for_username(std::string_view username) const;
  struct PskEntry {
    std::string key;  // raw bytes
    std::string device_id;
  };
  Result<std::optional<PskEntry>> psk_for_identity(std::string_view identity) const;

  // Presence, written in the background (not waited for).
  void record_presence(std::string device_id, bool online, int64_t time_ms, std::string remote,
                       std::string protocol);
  // Marks every device offline, for start-up after an unclean stop.
  Status reset_presence();

 private:
  Result<Device> find_by(std::string_view column_sql, std::string_view value,
                         std::string_view what) const;

  Database& db_;
  TelemetryStore& telemetry_;

  // Every device id, read on first use and kept up to date by create() and
  // remove(), the only ways a device row comes and goes.
  mutable std::mutex ids_mu_;
  mutable std::optional<std::unordered_set<std::string>> ids_;
  std::function<void(const std::string& id)> created_listener_;
};

}  // namespace trellis::db
