#pragma once
// Persistence of the broker's retained messages (the live set is
// trellis::RetainedStore in core; this table is its copy on disk). Writes are
// queued on the database's writer and batched; load_all() runs at start-up.
#include <cstdint>
#include <string>
#include <vector>

#include "core/message.hpp"
#include "core/result.hpp"

namespace trellis::db {

class Database;

struct RetainedRecord {
  std::string topic{};
  Payload payload{};
  uint8_t qos = 0;
  int64_t time_ms = 0;
};

class RetainedStore {
 public:
  explicit RetainedStore(Database& db);

  // An empty payload erases the topic, as a retained publish does (MQTT 3.3.1.3).
  void put(std::string topic, Payload payload, uint8_t qos, int64_t time_ms);
  // For Bus::set_retained_listener.
  void put(const MessagePtr& msg);
  void erase(std::string topic);
  // Every stored message, by topic.
  Result<std::vector<RetainedRecord>> load_all() const;

 private:
  Database& db_;
};

}  // namespace trellis::db
