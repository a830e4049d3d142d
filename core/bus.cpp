#include "core/bus.hpp"

#include <algorithm>
#include <mutex>

namespace trellis {

bool Bus::add(const SubscriberPtr& subscriber, std::string_view filter, uint8_t qos,
              std::shared_ptr<const std::function<void(std::string_view)>>& listener) {
  std::unique_lock lock(subs_mu_);
  bool added = tree_.insert(filter, subscriber.get(), qos);
  if (added) {
    auto& owned = owners_[subscriber.get()];
    owned.subscriber = subscriber;
    owned.filters.emplace_back(filter);
  }
  listener = subscription_listener_;
  return added;
}

bool Bus::subscribe(const SubscriberPtr& subscriber, std::string_view filter, uint8_t qos) {
  std::shared_ptr<const std::function<void(std::string_view)>> listener;
  bool added = add(subscriber, filter, qos, listener);
  if (listener) (*listener)(filter);
  return added;
}

bool Bus::subscribe(const SubscriberPtr& subscriber, std::string_view filter, uint8_t qos,
                    const std::function<void(const MessagePtr&)>& on_retained) {
  std::shared_ptr<const std::function<void(std::string_view)>> listener;
  bool added;
  {
    // No retained publish runs in between: one that came first is in the store
    // and was routed before this subscription existed; one that comes later is
    // routed to it, after the messages handed over here.
    std::shared_lock hold(retained_mu_);
    added = add(subscriber, filter, qos, listener);
    std::vector<MessagePtr> found;
    retained_.match(filter, found);
    for (const auto& m : found) on_retained(m);
  }
  if (listener) (*listener)(filter);
  return added;
}

bool Bus::unsubscribe(Subscriber* subscriber, std::string_view filter) {
  SubscriberPtr keep;  // released after the lock, in case this was the last owner
  std::unique_lock lock(subs_mu_);
  if (!tree_.erase(filter, subscriber)) return false;
  auto it = owners_.find(subscriber);
  if (it != owners_.end()) {
    auto& filters = it->second.filters;
    filters.erase(std::find(filters.begin(), filters.end(), filter));
    if (filters.empty()) {
      keep = std::move(it->second.subscriber);
      owners_.erase(it);
    }
  }
  return true;
}

void Bus::unsubscribe_all(Subscriber* subscriber) {
  SubscriberPtr keep;
  std::unique_lock lock(subs_mu_);
  auto it = owners_.find(subscriber);
  if (it == owners_.end()) return;
  for (const auto& f : it->second.filters) tree_.erase(f, subscriber);
  keep = std::move(it->second.subscriber);
  owners_.erase(it);
}

std::size_t Bus::publish(const MessagePtr& msg) {
  if (!msg->retain) return route(msg);
  // Stored and routed in one step: see subscribe() with on_retained.
  std::unique_lock lock(retained_mu_);
  if (retained_.put(msg) && retained_listener_) retained_listener_(msg);
  return route(msg);
}

std::size_t Bus::route(const MessagePtr& msg) {
  thread_local std::vector<Match> matches;
  matches.clear();
  std::shared_lock lock(subs_mu_);
  tree_.match(msg->topic, matches);
  for (const auto& m : matches) m.subscriber->deliver(msg, std::min(msg->qos, m.qos));
  return matches.size();
}

bool Bus::has_subscribers(std::string_view topic, bool named) const {
  thread_local std::vector<Match> matches;
  matches.clear();
  std::shared_lock lock(subs_mu_);
  tree_.match(topic, matches, named);
  return !matches.empty();
}

void Bus::set_subscription_listener(std::function<void(std::string_view filter)> listener) {
  auto shared =
      listener ? std::make_shared<const std::function<void(std::string_view)>>(std::move(listener))
               : nullptr;
  std::unique_lock lock(subs_mu_);
  subscription_listener_ = std::move(shared);
}

std::vector<MessagePtr> Bus::retained(std::string_view filter) const {
  std::vector<MessagePtr> out;
  std::shared_lock lock(retained_mu_);
  retained_.match(filter, out);
  return out;
}

void Bus::clear_retained(std::string_view topic) {
  auto empty = make_message(std::string(topic), std::string(), 0, true);
  std::unique_lock lock(retained_mu_);
  if (retained_.put(empty) && retained_listener_) retained_listener_(empty);
}

void Bus::restore_retained(const MessagePtr& msg) {
  std::unique_lock lock(retained_mu_);
  retained_.put(msg);
}

void Bus::set_retained_listener(std::function<void(const MessagePtr&)> listener) {
  std::unique_lock lock(retained_mu_);
  retained_listener_ = std::move(listener);
}

std::size_t Bus::subscription_count() const {
  std::shared_lock lock(subs_mu_);
  return tree_.size();
}

std::size_t Bus::retained_count() const {
  std::shared_lock lock(retained_mu_);
  return retained_.size();
}

}  // namespace trellis
