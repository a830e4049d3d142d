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

void Session::changed() {
  if (!clean_ && counters_.changes) counters_.changes->fetch_add(1, std::memory_order_relaxed);
}

Session::Traffic& Session::traffic() {
  if (!traffic_) traffic_ = std::make_unique<Traffic>();
  return *traffic_;
}

void Session::enqueue(const MessagePtr& msg, uint8_t qos, bool retain) {
  static const Principal never_attached;
  std::shared_ptr<SessionOwner> wake;
  {
    std::lock_guard lock(mu_);
    const Principal& principal = principal_ ? *principal_ : never_attached;
    if (!principal.may_receive(msg->topic, client_id_)) return;
    auto& inflight = traffic().inflight;
    auto& queue = traffic().queue;
    // QoS 0 is not kept for a client that is away (as Mosquitto does by default);
    // any message past the queue bound is dropped and counted. A connected
    // client's free inflight slots are room too: those messages leave the
    // queue as soon as the connection pumps.
    std::size_t bound = limits_.max_queued;
    if (owner_ && inflight.size() < limits_.max_inflight) {
      bound += limits_.max_inflight - inflight.size();
    }
    if ((!owner_ && qos == 0) || queue.size() >= bound) {
      if (counters_.dropped) counters_.dropped->add();
      return;
    }
    queue.push_back(Outgoing{msg, qos, retain, false, 0});
    changed();
    if (owner_ && !wake_pending_) {
      wake_pending_ = true;
      wake = wake_.lock();
    }
  }
  if (wake) wake->wake();
}

std::vector<Outgoing> Session::attach(const std::shared_ptr<SessionOwner>& owner,
                                      std::shared_ptr<const Principal> principal) {
  std::lock_guard lock(mu_);
  owner_ = owner.get();
  wake_ = owner;
  wake_pending_ = false;
  principal_ = std::move(principal);
  std::vector<Outgoing> resend;
  if (!traffic_) return resend;
  for (auto& f : traffic_->inflight) {
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
    const auto& inflight = traffic_->inflight;
    bool used = std::any_of(inflight.begin(), inflight.end(),
                            [&](const InFlight& f) { return f.out.packet_id == last_packet_id_; });
    if (!used) return last_packet_id_;
  }
}

std::vector<Outgoing> Session::take_sendable(const SessionOwner* owner, std::size_t limit) {
  std::lock_guard lock(mu_);
  std::vector<Outgoing> out;
  if (owner != owner_) return out;
  wake_pending_ = false;
  if (!traffic_) return out;
  auto& queue = traffic_->queue;
  auto& inflight = traffic_->inflight;
  while (!queue.empty() && out.size() < limit) {
    Outgoing& next = queue.front();
    if (next.qos > 0) {
      if (inflight.size() >= limits_.max_inflight) break;
      next.packet_id = next_packet_id();
      inflight.push_back(InFlight{next, next.qos == 1 ? Stage::wait_puback : Stage::wait_pubrec});
    }
    out.push_back(std::move(next));
    queue.pop_front();
  }
  if (!out.empty()) changed();
  return out;
}

bool Session::has_sendable() const {
  std::lock_guard lock(mu_);
  if (!traffic_ || traffic_->queue.empty()) return false;
  return traffic_->queue.front().qos == 0 || traffic_->inflight.size() < limits_.max_inflight;
}

bool Session::on_puback(uint16_t packet_id) {
  std::lock_guard lock(mu_);
  if (!traffic_) return false;
  auto& inflight = traffic_->inflight;
  auto it = std::find_if(inflight.begin(), inflight.end(), [&](const InFlight& f) {
    return f.out.packet_id == packet_id && f.stage == Stage::wait_puback;
  });
  if (it == inflight.end()) return false;
  inflight.erase(it);
  changed();
  return true;
}

bool Session::on_pubrec(uint16_t packet_id) {
  std::lock_guard lock(mu_);
  if (!traffic_) return false;
  auto& inflight = traffic_->inflight;
  auto it = std::find_if(inflight.begin(), inflight.end(), [&](const InFlight& f) {
    return f.out.packet_id == packet_id && f.stage != Stage::wait_puback;
  });
  if (it == inflight.end()) return false;
  it->stage = Stage::wait_pubcomp;
  it->out.msg = nullptr;  // the payload is no longer needed once PUBREC arrived
  changed();
  return true;
}

bool Session::on_pubcomp(uint16_t packet_id) {
  std::lock_guard lock(mu_);
  if (!traffic_) return false;
  auto& inflight = traffic_->inflight;
  auto it = std::find_if(inflight.begin(), inflight.end(), [&](const InFlight& f) {
    return f.out.packet_id == packet_id && f.stage == Stage::wait_pubcomp;
  });
  if (it == inflight.end()) return false;
  inflight.erase(it);
  changed();
  return true;
}

bool Session::begin_inbound_qos2(uint16_t packet_id) {
  std::lock_guard lock(mu_);
  if (!traffic().inbound_qos2.insert(packet_id).second) return false;
  changed();
  return true;
}

void Session::release_inbound_qos2(uint16_t packet_id) {
  std::lock_guard lock(mu_);
  if (traffic_ && traffic_->inbound_qos2.erase(packet_id) > 0) changed();
}

bool Session::inbound_qos2_pending(uint16_t packet_id) const {
  std::lock_guard lock(mu_);
  return traffic_ && traffic_->inbound_qos2.contains(packet_id);
}

std::vector<uint16_t> Session::inbound_qos2() const {
  std::lock_guard lock(mu_);
  if (!traffic_) return {};
  return {traffic_->inbound_qos2.begin(), traffic_->inbound_qos2.end()};
}

namespace {

template <typename Subscriptions>
auto find_filter(Subscriptions& subs, const std::string& filter) {
  return std::lower_bound(subs.begin(), subs.end(), filter,
                          [](const auto& s, const std::string& f) { return s.first < f; });
}

}  // namespace

void Session::set_subscription(const std::string& filter, uint8_t qos) {
  std::lock_guard lock(mu_);
  auto it = find_filter(subscriptions_, filter);
  if (it != subscriptions_.end() && it->first == filter) {
    it->second = qos;
  } else {
    subscriptions_.emplace(it, filter, qos);
  }
  changed();
}

bool Session::remove_subscription(const std::string& filter) {
  std::lock_guard lock(mu_);
  auto it = find_filter(subscriptions_, filter);
  if (it == subscriptions_.end() || it->first != filter) return false;
  subscriptions_.erase(it);
  changed();
  return true;
}

std::map<std::string, uint8_t> Session::subscriptions() const {
  std::lock_guard lock(mu_);
  return {subscriptions_.begin(), subscriptions_.end()};
}

std::size_t Session::queued() const {
  std::lock_guard lock(mu_);
  return traffic_ ? traffic_->queue.size() : 0;
}

std::size_t Session::subscription_count() const {
  std::lock_guard lock(mu_);
  return subscriptions_.size();
}

std::size_t Session::inflight() const {
  std::lock_guard lock(mu_);
  return traffic_ ? traffic_->inflight.size() : 0;
}

SessionTraffic Session::snapshot_traffic() const {
  std::lock_guard lock(mu_);
  SessionTraffic out;
  if (!traffic_) return out;
  for (const auto& f : traffic_->inflight) {
    out.inflight.push_back(f.out);
    out.inflight.back().dup = false;
  }
  out.queued.assign(traffic_->queue.begin(), traffic_->queue.end());
  out.inbound_qos2.assign(traffic_->inbound_qos2.begin(), traffic_->inbound_qos2.end());
  return out;
}

void Session::restore_inflight(const std::vector<Outgoing>& inflight,
                               const std::vector<uint16_t>& inbound_qos2) {
  std::lock_guard lock(mu_);
  if (inflight.empty() && inbound_qos2.empty()) return;
  auto& t = traffic();
  for (const auto& o : inflight) {
    // Only what a live session could hold: QoS 1/2, a packet id used once.
    bool valid = o.packet_id != 0 && (o.qos == 2 || (o.qos == 1 && o.msg));
    bool used = std::any_of(t.inflight.begin(), t.inflight.end(),
                            [&](const InFlight& f) { return f.out.packet_id == o.packet_id; });
    if (!valid || used) continue;
    Stage stage = !o.msg       ? Stage::wait_pubcomp
                  : o.qos == 1 ? Stage::wait_puback
                               : Stage::wait_pubrec;
    t.inflight.push_back(InFlight{o, stage});
    t.inflight.back().out.dup = false;
    // New ids carry on after the last one sent, as they would have.
    last_packet_id_ = o.packet_id;
  }
  t.inbound_qos2.insert(inbound_qos2.begin(), inbound_qos2.end());
}

}  // namespace trellis::mqtt
