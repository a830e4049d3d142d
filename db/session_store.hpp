#pragma once
// Persistence of MQTT sessions opened with clean session 0 (MQTT 3.1.1
// 3.1.2.4): their subscriptions, the QoS 1/2 messages sent to them and not yet
// acknowledged or queued for them while offline, and the QoS 2 packet ids
// they sent that are not yet released. The broker keeps the live state; the
// server saves all of it at once, every mqtt.autosave_interval and at shutdown,
// through the database's writer.
#include <cstdint>
#include <string>
#include <vector>

#include "core/message.hpp"
#include "core/result.hpp"

namespace trellis::db {

class Database;

struct SessionSubscription {
  std::string filter{};
  uint8_t qos = 0;
  bool operator==(const SessionSubscription&) const = default;
};

struct QueuedMessage {
  int64_t order = 0;  // chosen by the broker, increasing within a session
  std::string topic{};
  Payload payload{};
  uint8_t qos = 0;
  bool retain = false;
  uint16_t packet_id = 0;  // 0: not sent yet; else sent and not yet acknowledged
  bool released = false;   // QoS 2 whose PUBREC came: only PUBREL is left (no topic, payload)
};

struct StoredSession {
  std::string client_id{};
  int64_t updated_ms = 0;
  std::vector<SessionSubscription> subscriptions{};  // by filter
  std::vector<QueuedMessage> queued{};               // by order
  std::vector<uint16_t> inbound_qos2{};              // ascending
};

class SessionStore {
 public:
  explicit SessionStore(Database& db);

  // Replaces every stored session with these (updated_ms is set to now).
  void replace_all(std::vector<StoredSession> sessions);

  Result<std::vector<StoredSession>> load_all() const;

 private:
  Database& db_;
};

}  // namespace trellis::db
