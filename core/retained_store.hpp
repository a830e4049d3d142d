#pragma once
// Retained messages by topic level, so a new subscription finds the retained
// messages its filter matches without scanning every topic. Not synchronised:
// the Bus guards it.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/message.hpp"

namespace trellis {

class RetainedStore {
 public:
  RetainedStore();
  ~RetainedStore();

  // Stores the message for its topic; an empty payload clears it (3.3.1.3).
  // Returns true when the store changed.
  bool put(const MessagePtr& msg);
  void match(std::string_view filter, std::vector<MessagePtr>& out) const;
  std::size_t size() const { return size_; }
  void for_each(const std::function<void(const MessagePtr&)>& fn) const;

 private:
  struct Node {
    std::unordered_map<std::string, std::unique_ptr<Node>> children;
    MessagePtr message;
  };
  static void collect(const Node& node, const std::vector<std::string_view>& filter, std::size_t i,
                      bool at_root, std::vector<MessagePtr>& out);
  static void collect_all(const Node& node, bool at_root, std::vector<MessagePtr>& out);
  static bool erase_at(Node& node, const std::vector<std::string_view>& levels, std::size_t i);

  std::unique_ptr<Node> root_;
  std::size_t size_ = 0;
};

}  // namespace trellis
