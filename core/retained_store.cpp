#include "core/retained_store.hpp"

#include "core/topic.hpp"

namespace trellis {

RetainedStore::RetainedStore() : root_(std::make_unique<Node>()) {}
RetainedStore::~RetainedStore() = default;

bool RetainedStore::erase_at(Node& node, const std::vector<std::string_view>& levels,
                             std::size_t i) {
  if (i == levels.size()) {
    bool had = node.message != nullptr;
    node.message.reset();
    return had;
  }
  auto it = node.children.find(std::string(levels[i]));
  if (it == node.children.end()) return false;
  bool removed = erase_at(*it->second, levels, i + 1);
  if (!it->second->message && it->second->children.empty()) node.children.erase(it);
  return removed;
}

bool RetainedStore::put(const MessagePtr& msg) {
  auto levels = topic::split_levels(msg->topic);
  if (msg->body().empty()) {
    bool removed = erase_at(*root_, levels, 0);
    size_ -= removed;
    return removed;
  }
  Node* node = root_.get();
  for (auto level : levels) {
    auto& child = node->children[std::string(level)];
    if (!child) child = std::make_unique<Node>();
    node = child.get();
  }
  if (!node->message) ++size_;
  node->message = msg;
  return true;
}

void RetainedStore::collect_all(const Node& node, bool at_root, std::vector<MessagePtr>& out) {
  if (node.message) out.push_back(node.message);
  for (const auto& [level, child] : node.children) {
    if (at_root && topic::is_system(level)) continue;
    collect_all(*child, false, out);
  }
}

void RetainedStore::collect(const Node& node, const std::vector<std::string_view>& filter,
                            std::size_t i, bool at_root, std::vector<MessagePtr>& out) {
  if (i == filter.size()) {
    if (node.message) out.push_back(node.message);
    return;
  }
  auto level = filter[i];
  if (level == "#") {
    // `#` also matches the parent level itself ("a/#" matches "a"); a leading
    // wildcard skips `$` topics.
    collect_all(node, at_root, out);
    return;
  }
  if (level == "+") {
    for (const auto& [name, child] : node.children) {
      if (at_root && topic::is_system(name)) continue;
      collect(*child, filter, i + 1, false, out);
    }
    return;
  }
  auto it = node.children.find(std::string(level));
  if (it != node.children.end()) collect(*it->second, filter, i + 1, false, out);
}

void RetainedStore::match(std::string_view filter, std::vector<MessagePtr>& out) const {
  collect(*root_, topic::split_levels(filter), 0, true, out);
}

void RetainedStore::for_each(const std::function<void(const MessagePtr&)>& fn) const {
  // Walk including `$` topics: persistence wants everything.
  std::vector<const Node*> stack{root_.get()};
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (n->message) fn(n->message);
    for (const auto& [level, child] : n->children) stack.push_back(child.get());
  }
}

}  // namespace trellis
