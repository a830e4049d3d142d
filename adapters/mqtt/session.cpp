#include "adapters/mqtt/session.hpp"

#include <algorithm>

namespace trellis::mqtt {

Session::Session(std::string client_id, bool clean, SessionLimits limits, SessionCounters counters)
    : client_id_(std::move(client_id)), clean_(clean), limits_(limits), counters_(counters) {}

void Session::deliver(const MessagePtr& msg, uint8_t qos) {
  enqueue(msg, qos, false);
}

void Session::deliver_retained(const MessagePtr& msg, uint8_t qos) {
  enqueue(msg, qos, true);
}

void Session::enqueue(const MessagePtr& msg, uint8_t qos, bool retain) {
  std::shared_ptr<SessionOwner> wake;
  {
    std::lock_guard lock(mu_);
    if (!principal_.may_receive(msg->topic, client_id_)) return;
    // QoS 0 is not kept for a client that is away (as Mosquitto does by default);
    // any message past the queue bound is dropped and counted. A connected
    // client's free inflight slots are room too: those messages leave the
    // queue as soon as the connection pumps.
    std::size_t bound = limits_.max_queued;
    if (owner_ && inflight_.size() < limits_.max_inflight) {
      bound += limits_.max_inflight - inflight_.size();
    }
    if ((!owner_ && qos == 0) || queue_.size() >= bound) {
      if (counters_.dropped) counters_.dropped->add();
      return;
    }
    queue_.push_back(Outgoing{msg, qos, retain, false, 0});
    if (owner_ && !wake_pending_) {
      wake_pending_ = true;
      wake = wake_.lock();
    }
  }
  if (wake) wake->wake();
}

std::vector<Outgoing> Session::attach(const std::shared_ptr<SessionOwner>& owner,
                                      Principal principal) {
  std::lock_guard lock(mu_);
  owner_ = owner.get();
  wake_ = owner;
  wake_pending_ = false;
  principal_ = std::move(principal);
  std::vector<Outgoing> resend;
  for (auto& f : inflight_) {
    Outgoing o = f.out;
    if (f.stage == Stage::wait_pubcomp) {
      o.msg = nullptr;  // resend PUBREL, not the PUBLISH
    } else {
      o.dup = true;
    }
    resend.push_back(std::move(o));
  }
  return resend;
}

void Session::detach(const SessionOwner* owner) {
  std::lock_guard lock(mu_);
  if (owner_ != owner) return;
  owner_ = nullptr;
  wake_.reset();
  wake_pending_ = false;
}

uint16_t Session::next_packet_id() {
  // Skip 0 and ids still in flight.
  for (;;) {
    last_packet_id_ = static_cast<uint16_t>(last_packet_id_ + 1);
    if (last_packet_id_ == 0) continue;
    bool used = std::any_of(inflight_.begin(), inflight_.end(),
                            [&](const InFlight& f) { return f.out.packet_id == last_packet_id_; });
    if (!used) return last_packet_id_;
  }
}

std::vector<Outgoing> Session::take_sendable(const SessionOwner* owner, std::size_t limit) {
  std::lock_guard lock(mu_);
  std::vector<Outgoing> out;
  if (owner != owner_) return out;
  wake_pending_ = false;
  while (!queue_.empty() && out.size() < limit) {
    Outgoing& next = queue_.front();
    if (next.qos > 0) {
      if (inflight_.size() >= limits_.max_inflight) break;
      next.packet_id = next_packet_id();
      inflight_.push_back(InFlight{next, next.qos == 1 ? Stage::wait_puback : Stage::wait_pubrec});
    }
    out.push_back(std::move(next));
    queue_.pop_front();
  }
  return out;
}

bool Session::has_sendable() const {
  std::lock_guard lock(mu_);
  if (queue_.empty()) return false;
  return queue_.front().qos == 0 || inflight_.size() < limits_.max_inflight;
}

bool Session::on_puback(uint16_t packet_id) {
  std::lock_guard lock(mu_);
  auto it = std::find_if(inflight_.begin(), inflight_.end(), [&](const InFlight& f) {
    return f.out.packet_id == packet_id && f.stage == Stage::wait_puback;
  });
  if (it == inflight_.end()) return false;
  inflight_.erase(it);
  return true;
}

bool Session::on_pubrec(uint16_t packet_id) {
  std::lock_guard lock(mu_);
  auto it = std::find_if(inflight_.begin(), inflight_.end(), [&](const InFlight& f) {
    return f.out.packet_id == packet_id && f.stage != Stage::wait_puback;
  });
  if (it == inflight_.end()) return false;
  it->stage = Stage::wait_pubcomp;
  it->out.msg = nullptr;  // the payload is no longer needed once PUBREC arrived
  return true;
}

bool Session::on_pubcomp(uint16_t packet_id) {
  std::lock_guard lock(mu_);
  auto it = std::find_if(inflight_.begin(), inflight_.end(), [&](const InFlight& f) {
    return f.out.packet_id == packet_id && f.stage == Stage::wait_pubcomp;
  });
  if (it == inflight_.end()) return false;
  inflight_.erase(it);
  return true;
}

bool Session::begin_inbound_qos2(uint16_t packet_id) {
  std::lock_guard lock(mu_);
  return inbound_qos2_.insert(packet_id).second;
}

void Session::release_inbound_qos2(uint16_t packet_id) {
  std::lock_guard lock(mu_);
  inbound_qos2_.erase(packet_id);
}

void Session::set_subscription(const std::string& filter, uint8_t qos) {
  std::lock_guard lock(mu_);
  subscriptions_[filter] = qos;
}

bool Session::remove_subscription(const std::string& filter) {
  std::lock_guard lock(mu_);
  return subscriptions_.erase(filter) > 0;
}

std::map<std::string, uint8_t> Session::subscriptions() const {
  std::lock_guard lock(mu_);
  return subscriptions_;
}

std::size_t Session::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

std::size_t Session::subscription_count() const {
  std::lock_guard lock(mu_);
  return subscriptions_.size();
}

std::size_t Session::inflight() const {
  std::lock_guard lock(mu_);
  return inflight_.size();
}

std::vector<Outgoing> Session::snapshot_queue() const {
  std::lock_guard lock(mu_);
  std::vector<Outgoing> out;
  for (const auto& f : inflight_) {
    if (f.out.msg) out.push_back(f.out);
  }
  out.insert(out.end(), queue_.begin(), queue_.end());
  return out;
}

}  // namespace trellis::mqtt
