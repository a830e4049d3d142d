#pragma once
// The message bus: every adapter publishes here and every consumer (MQTT
// sessions, MQTT-SN clients, the telemetry recorder, presence, the LwM2M
// command bridge) subscribes here. Safe to call from any thread.
#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/message.hpp"
#include "core/retained_store.hpp"
#include "core/subscription_tree.hpp"

namespace trellis {

// A consumer of bus traffic. deliver() runs on the publisher's thread while the
// bus holds its read lock: it must only queue the message (and post work to the
// subscriber's own strand), never block and never call back into the Bus.
class Subscriber {
 public:
  virtual ~Subscriber() = default;
  virtual void deliver(const MessagePtr& msg, uint8_t qos) = 0;
};

using SubscriberPtr = std::shared_ptr<Subscriber>;

class Bus {
 public:
  Bus() = default;
  Bus(const Bus&) = delete;
  Bus& operator=(const Bus&) = delete;

  // Adds (or changes the QoS of) a subscription on a valid filter. The bus
  // keeps the subscriber alive until it unsubscribes. True when new.
  bool subscribe(const SubscriberPtr& subscriber, std::string_view filter, uint8_t qos);
  // The same, and hands `on_retained` the retained messages the filter
  // matches, in one step as publishers see it: a retained message published
  // meanwhile reaches the subscriber once, either here or through deliver()
  // after the ones here; never both, never neither. `on_retained` runs under
  // the bus's lock: like deliver(), it must only queue.
  bool subscribe(const SubscriberPtr& subscriber, std::string_view filter, uint8_t qos,
                 const std::function<void(const MessagePtr&)>& on_retained);
  bool unsubscribe(Subscriber* subscriber, std::string_view filter);
  void unsubscribe_all(Subscriber* subscriber);

  // Routes a message with a valid topic name to every matching subscriber,
  // once per subscriber at min(message QoS, its highest matching QoS), and
  // keeps it when it is retained. Returns the number of deliveries.
  std::size_t publish(const MessagePtr& msg);

  // Retained messages matching a filter (a new subscription takes them
  // through subscribe() instead).
  std::vector<MessagePtr> retained(std::string_view filter) const;
  // Forgets the retained message of a topic without routing anything, and
  // tells the listener (an empty-payload message) so the store forgets it too.
  void clear_retained(std::string_view topic);
  // Loads a retained message at start-up without routing it or telling the listener.
  void restore_retained(const MessagePtr& msg);
  // Called after a retained message is stored (msg) or cleared (empty payload),
  // so the store can persist it. It runs under the bus's lock, so that it sees
  // one topic's changes in the order they were stored: it must only queue.
  // Set before traffic starts.
  void set_retained_listener(std::function<void(const MessagePtr&)> listener);
  // Called with the filter after every subscribe() call (a repeat too), on
  // the subscriber's thread and outside the bus's locks, so
  // that a service can act once someone listens (the command service sends
  // waiting tasks when a device subscribes to them). It must only queue. May
  // be set while traffic flows; an empty function removes it.
  void set_subscription_listener(std::function<void(std::string_view filter)> listener);

  // Whether a publish to this topic name would reach anyone now; with
  // `named`, anyone whose filter names the topic's first level ("dev/#" for
  // "dev/tasks/json"; not "#" or "+/tasks/json").
  bool has_subscribers(std::string_view topic, bool named = false) const;

  std::size_t subscription_count() const;
  std::size_t retained_count() const;

 private:
  std::size_t route(const MessagePtr& msg);
  // subscribe() without telling the subscription listener; returns it (empty
  // when none) so the caller can, once its locks are released.
  bool add(const SubscriberPtr& subscriber, std::string_view filter, uint8_t qos,
           std::shared_ptr<const std::function<void(std::string_view)>>& listener);

  mutable std::shared_mutex subs_mu_;
  SubscriptionTree tree_;
  // Keeps subscribers alive and remembers their filters for unsubscribe_all.
  struct Owned {
    SubscriberPtr subscriber;
    std::vector<std::string> filters;
  };
  std::unordered_map<Subscriber*, Owned> owners_;
  std::shared_ptr<const std::function<void(std::string_view)>> subscription_listener_;

  // Taken before subs_mu_ when both are. A retained publish holds it, alone,
  // from storing its message to routing it; a subscription taking retained
  // messages holds it, shared, from joining the tree to reading the store.
  mutable std::shared_mutex retained_mu_;
  RetainedStore retained_;
  std::function<void(const MessagePtr&)> retained_listener_;
};

}  // namespace trellis
