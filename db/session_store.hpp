#pragma once
// Persistence of MQTT sessions opened with clean session 0 (MQTT 3.1.1
// 3.1.2.4): their subscriptions, the QoS 1/2 messages sent to them and not yet
// acknowledged or queued for them while offline, and the QoS 2 packet ids
// they sent that are not yet released. The broker keeps the live state and
// mirrors each change here; writes are queued on the database's writer, in
// order, and batched.
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

  // Creates the session or replaces its subscriptions; queued messages stay.
  void save(std::string client_id, std::vector<SessionSubscription> subscriptions);
  void subscribe(std::string client_id, std::string filter, uint8_t qos);
  void unsubscribe(std::string client_id, std::string filter);
  void append(std::string client_id, QueuedMessage message);
  // Replaces the QoS 2 packet ids received from the client (PUBREC sent)
  // and not yet released by its PUBREL (4.3.3).
  void save_inbound_qos2(std::string client_id, std::vector<uint16_t> packet_ids);
  void remove_message(std::string client_id, int64_t order);
  // Removes every queued message up to and including `order`.
  void remove_messages_through(std::string client_id, int64_t order);
  // The session and all it holds (clean session 1, or expiry).
  void erase(std::string client_id);

  Result<std::vector<StoredSession>> load_all() const;

 private:
  Database& db_;
};

}  // namespace trellis::db
