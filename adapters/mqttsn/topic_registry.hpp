#pragma once
// The normal topic ids of one client session (MQTT-SN 1.2, 6.5 and 6.7): ids
// assigned for the client's REGISTER, returned in a SUBACK, or announced by
// the gateway's own REGISTER. Each id also records whether the client knows it
// in the current connection, so the gateway registers a name again after a
// reconnect before it publishes on it.
//
// Predefined ids (6.6) are gateway-wide: PredefinedTopics.
//
// Not thread-safe: owned by the gateway core, used on its strand.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace trellis::mqttsn {

class TopicRegistry {
 public:
  explicit TopicRegistry(std::size_t capacity) : capacity_(capacity) {}

  // The id of a topic name, assigning a free one (0x0001-0xFFFE) when the name
  // is new; nullopt when the registry already holds `capacity` names.
  std::optional<uint16_t> assign(std::string_view name);
  std::optional<uint16_t> find(std::string_view name) const;
  // The name of an id; nullptr when the id is not assigned.
  const std::string* name(uint16_t id) const;

  bool known(uint16_t id) const;
  void set_known(uint16_t id, bool known);
  // A new connection: the client may have forgotten every id.
  void forget_known();

  std::size_t size() const { return by_id_.size(); }
  void clear();

 private:
  struct Entry {
    std::string name;
    bool known = false;
  };
  std::size_t capacity_;
  uint16_t last_id_ = 0;
  std::unordered_map<uint16_t, Entry> by_id_;
  std::unordered_map<std::string, uint16_t> by_name_;
};

// The predefined topic ids of mqttsn.predefined_topics, both ways.
class PredefinedTopics {
 public:
  explicit PredefinedTopics(const std::map<uint16_t, std::string>& topics);
  const std::string* name(uint16_t id) const;
  std::optional<uint16_t> id(std::string_view name) const;

 private:
  std::unordered_map<uint16_t, std::string> by_id_;
  std::unordered_map<std::string, uint16_t> by_name_;
};

}  // namespace trellis::mqttsn
