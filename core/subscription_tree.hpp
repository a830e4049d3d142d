#pragma once
// Topic filters organised by level, so matching a topic visits only the
// branches its levels name (plus `+` and `#`), however many unrelated
// subscriptions exist. Not synchronised: the Bus guards it.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace trellis {

class Subscriber;

struct Match {
  Subscriber* subscriber;
  uint8_t qos;
};

class SubscriptionTree {
 public:
  SubscriptionTree();
  ~SubscriptionTree();

  // Adds or replaces the subscriber's QoS on a (valid) filter. True when new.
  bool insert(std::string_view filter, Subscriber* subscriber, uint8_t qos);
  // True when the subscriber had that filter.
  bool erase(std::string_view filter, Subscriber* subscriber);

  // Appends every (subscriber, qos) whose filter matches the topic name; a
  // subscriber with several matching filters appears once, at its highest QoS.
  // With `named`, only filters whose first level is the topic's own count, as
  // for a `$` topic: "dev/#" for "dev/tasks/json", not "#" or "+/tasks/json".
  void match(std::string_view topic, std::vector<Match>& out, bool named = false) const;

  std::size_t size() const { return size_; }

 private:
  struct Node;
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Children =
      std::unordered_map<std::string, std::unique_ptr<Node>, StringHash, std::equal_to<>>;
  struct Entry {
    Subscriber* subscriber;
    uint8_t qos;
  };
  struct Node {
    Children children;           // literal next levels
    std::unique_ptr<Node> plus;  // `+` as the next level
    std::vector<Entry> exact;    // filters ending at this node
    std::vector<Entry> hash;     // filters ending with `/#` below this node (or `#` at the root)
    bool empty() const { return children.empty() && !plus && exact.empty() && hash.empty(); }
  };

  static void collect(const Node& node, const std::vector<std::string_view>& levels, std::size_t i,
                      bool at_root_of_system, std::vector<Match>& out);
  static bool erase_at(Node& node, const std::vector<std::string_view>& levels, std::size_t i,
                       Subscriber* subscriber);

  std::unique_ptr<Node> root_;
  std::size_t size_ = 0;
};

}  // namespace trellis
