#pragma once
// Persistence of the broker's retained messages (the live set is
// trellis::RetainedStore in core; this table is its copy on disk). Changes
// wait in a map, newest per topic, which one writer job at a time empties: a
// client retaining faster than the disk writes replaces what waits instead of
// queueing without bound, and the table ends with each topic's last change.
// load_all() runs at start-up.
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/message.hpp"
#include "core/result.hpp"

namespace trellis::db {

class Connection;
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
  struct Change {
    Payload payload;  // null: erase the topic
    uint8_t qos = 0;
    int64_t time_ms = 0;
  };
  void change(std::string topic, Change c);
  // Writer thread: writes every change waiting, then lets the next one post a job.
  void write_changes(Connection& c);

  Database& db_;
  std::mutex mu_;
  std::unordered_map<std::string, Change> changes_;
  bool job_queued_ = false;
};

}  // namespace trellis::db
