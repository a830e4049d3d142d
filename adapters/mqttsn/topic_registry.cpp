#include "adapters/mqttsn/topic_registry.hpp"

namespace trellis::mqttsn {

namespace {
// 0x0000 and 0xFFFF are reserved (5.3.11).
constexpr uint16_t first_id = 0x0001;
constexpr uint16_t last_id = 0xFFFE;
}  // namespace

std::optional<uint16_t> TopicRegistry::assign(std::string_view name) {
  if (auto id = find(name)) return id;
  if (by_id_.size() >= capacity_ || by_id_.size() >= last_id) return std::nullopt;
  // Ids are never reused while the session lives, unless they wrap around:
  // a client may still hold an old id in a datagram on its way.
  uint16_t id = last_id_;
  do {
    id = id >= last_id ? first_id : static_cast<uint16_t>(id + 1);
  } while (by_id_.count(id) != 0);
  last_id_ = id;
  std::string owned(name);
  by_name_.emplace(owned, id);
  by_id_.emplace(id, Entry{std::move(owned), false});
  return id;
}

std::optional<uint16_t> TopicRegistry::find(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

const std::string* TopicRegistry::name(uint16_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second.name;
}

bool TopicRegistry::known(uint16_t id) const {
  auto it = by_id_.find(id);
  return it != by_id_.end() && it->second.known;
}

void TopicRegistry::set_known(uint16_t id, bool known) {
  auto it = by_id_.find(id);
  if (it != by_id_.end()) it->second.known = known;
}

void TopicRegistry::forget_known() {
  for (auto& [_, entry] : by_id_) entry.known = false;
}

void TopicRegistry::clear() {
  by_id_.clear();
  by_name_.clear();
  last_id_ = 0;
}

PredefinedTopics::PredefinedTopics(const std::map<uint16_t, std::string>& topics) {
  for (const auto& [id, name] : topics) {
    by_id_.emplace(id, name);
    by_name_.emplace(name, id);
  }
}

const std::string* PredefinedTopics::name(uint16_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

std::optional<uint16_t> PredefinedTopics::id(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

}  // namespace trellis::mqttsn
