#include "core/subscription_tree.hpp"

#include <algorithm>

#include "core/topic.hpp"

namespace trellis {

namespace {

template <typename Entries>
bool upsert(Entries& entries, Subscriber* s, uint8_t qos) {
  for (auto& e : entries) {
    if (e.subscriber == s) {
      e.qos = qos;
      return false;
    }
  }
  entries.push_back({s, qos});
  return true;
}

template <typename Entries>
bool remove(Entries& entries, Subscriber* s) {
  auto it = std::find_if(entries.begin(), entries.end(),
                         [s](const auto& e) { return e.subscriber == s; });
  if (it == entries.end()) return false;
  *it = entries.back();
  entries.pop_back();
  return true;
}

}  // namespace

SubscriptionTree::SubscriptionTree() : root_(std::make_unique<Node>()) {}
SubscriptionTree::~SubscriptionTree() = default;

bool SubscriptionTree::insert(std::string_view filter, Subscriber* subscriber, uint8_t qos) {
  auto levels = topic::split_levels(filter);
  Node* node = root_.get();
  for (std::size_t i = 0; i < levels.size(); ++i) {
    auto level = levels[i];
    if (level == "#") {
      bool added = upsert(node->hash, subscriber, qos);
      size_ += added;
      return added;
    }
    if (level == "+") {
      if (!node->plus) node->plus = std::make_unique<Node>();
      node = node->plus.get();
      continue;
    }
    auto it = node->children.find(level);
    if (it == node->children.end()) {
      it = node->children.emplace(std::string(level), std::make_unique<Node>()).first;
    }
    node = it->second.get();
  }
  bool added = upsert(node->exact, subscriber, qos);
  size_ += added;
  return added;
}

bool SubscriptionTree::erase_at(Node& node, const std::vector<std::string_view>& levels,
                                std::size_t i, Subscriber* subscriber) {
  if (i == levels.size()) return remove(node.exact, subscriber);
  auto level = levels[i];
  if (level == "#") return remove(node.hash, subscriber);
  if (level == "+") {
    if (!node.plus) return false;
    bool removed = erase_at(*node.plus, levels, i + 1, subscriber);
    if (node.plus->empty()) node.plus.reset();
    return removed;
  }
  auto it = node.children.find(level);
  if (it == node.children.end()) return false;
  bool removed = erase_at(*it->second, levels, i + 1, subscriber);
  if (it->second->empty()) node.children.erase(it);
  return removed;
}

bool SubscriptionTree::erase(std::string_view filter, Subscriber* subscriber) {
  bool removed = erase_at(*root_, topic::split_levels(filter), 0, subscriber);
  size_ -= removed;
  return removed;
}

void SubscriptionTree::collect(const Node& node, const std::vector<std::string_view>& levels,
                               std::size_t i, bool at_root_of_system, std::vector<Match>& out) {
  // A leading wildcard never matches a `$` topic (4.7.2).
  if (!at_root_of_system) {
    for (const auto& e : node.hash) out.push_back({e.subscriber, e.qos});
  }
  if (i == levels.size()) {
    for (const auto& e : node.exact) out.push_back({e.subscriber, e.qos});
    return;
  }
  if (auto it = node.children.find(levels[i]); it != node.children.end()) {
    collect(*it->second, levels, i + 1, false, out);
  }
  if (node.plus && !at_root_of_system) collect(*node.plus, levels, i + 1, false, out);
}

void SubscriptionTree::match(std::string_view topic, std::vector<Match>& out, bool named) const {
  std::size_t first = out.size();
  // Split without allocating for the common shallow topic.
  std::vector<std::string_view> levels = topic::split_levels(topic);
  collect(*root_, levels, 0, named || topic::is_system(topic), out);
  if (out.size() - first < 2) return;
  // Overlapping filters of one subscriber: deliver once at the highest QoS.
  std::sort(out.begin() + first, out.end(), [](const Match& a, const Match& b) {
    return a.subscriber < b.subscriber || (a.subscriber == b.subscriber && a.qos > b.qos);
  });
  auto last = std::unique(out.begin() + first, out.end(), [](const Match& a, const Match& b) {
    return a.subscriber == b.subscriber;
  });
  out.erase(last, out.end());
}

}  // namespace trellis
