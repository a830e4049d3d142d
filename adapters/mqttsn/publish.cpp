// PUBLISH in both directions with its QoS flows (6.8, 6.9), QoS -1 (6.8),
// REGISTER in both directions (6.5), and the outbound queue.
#include <algorithm>

#include "adapters/mqttsn/gateway_core.hpp"
#include "core/log.hpp"
#include "core/topic.hpp"

namespace trellis::mqttsn {

namespace {

// Octets of a PUBLISH besides its data, in the 3-octet Length form (5.4.12).
constexpr std::size_t publish_overhead = 9;

// Devices may not speak for the platform: `$` topics ($SYS, $events) are
// written by the server alone.
bool may_publish_to(const std::string& topic) {
  return topic::validate_name(topic) && !topic::is_system(topic);
}

}  // namespace

// ------------------------------------------------------------------- inbound

const std::string* GatewayCore::inbound_topic(const Client* client, TopicIdType type, uint16_t id,
                                              std::string& short_name) const {
  switch (type) {
    case TopicIdType::normal:
      return client ? client->topics.name(id) : nullptr;
    case TopicIdType::predefined:
      return predefined_.name(id);
    case TopicIdType::short_name:
      short_name = short_topic_name(id);
      return &short_name;
  }
  return nullptr;
}

void GatewayCore::put_on_bus(const std::string& topic, const Publish& p,
                             const std::string& client_id, Actions& out) {
  counters_.publish_received.add();
  auto qos = static_cast<uint8_t>(std::clamp<int>(p.qos, 0, 2));
  out.push_back(
      PublishAction{make_message(topic, p.data, qos, p.retain, Origin::mqttsn, client_id)});
}

void GatewayCore::on_publish_minus_one(const std::string& from, const Publish& p, Actions& out) {
  // QoS -1 (6.8): no connection, no answer; only ids known without one.
  std::string short_name;
  const std::string* topic = p.topic_id_type == TopicIdType::normal
                                 ? nullptr
                                 : inbound_topic(nullptr, p.topic_id_type, p.topic_id, short_name);
  if (!topic || !may_publish_to(*topic)) {
    counters_.dropped_invalid_topic.add();
    TLOG(debug, "mqttsn") << "QoS -1 publish dropped" << log::kv("remote", from)
                          << log::kv("topic_id", p.topic_id)
                          << log::kv("reason", topic ? "topic not allowed" : "unknown topic id");
    return;
  }
  Client* client = by_address(from);
  if (!client && options_.require_registered) {
    // Only admitted clients speak: a sender that never connected has no
    // client id to check against the registry.
    counters_.dropped_not_registered.add();
    TLOG_LIMITED(info, "mqttsn") << "QoS -1 publish dropped" << log::kv("remote", from)
                                 << log::kv("topic", *topic)
                                 << log::kv("reason", "mqttsn.require_registered");
    return;
  }
  put_on_bus(*topic, p, client ? client->client_id : std::string(), out);
}

void GatewayCore::on_publish(Client& client, const Publish& p, Actions& out) {
  std::string short_name;
  const std::string* topic = inbound_topic(&client, p.topic_id_type, p.topic_id, short_name);
  if (!topic || !may_publish_to(*topic)) {
    counters_.dropped_invalid_topic.add();
    TLOG(debug, "mqttsn") << "publish refused" << log::kv("client", client.client_id)
                          << log::kv("topic_id", p.topic_id)
                          << log::kv("reason", topic ? "topic not allowed" : "unknown topic id");
    // Answered at every QoS, so the client can register the topic again (6.7).
    ReturnCode rc = topic ? ReturnCode::not_supported : ReturnCode::invalid_topic_id;
    return send(client, Puback{p.topic_id, p.msg_id, rc}, out);
  }
  switch (p.qos) {
    case 1:
      put_on_bus(*topic, p, client.client_id, out);
      send(client, Puback{p.topic_id, p.msg_id, ReturnCode::accepted}, out);
      return;
    case 2:
      if (client.inbound_qos2.count(p.msg_id) != 0) {
        // A retransmission: acknowledged again, delivered once.
        return send(client, Pubrec{p.msg_id}, out);
      }
      if (client.inbound_qos2.size() >= std::max<std::size_t>(options_.max_buffered_messages, 1)) {
        TLOG_LIMITED(info, "mqttsn") << "publish refused" << log::kv("client", client.client_id)
                                     << log::kv("reason", "congestion")
                                     << log::kv("awaiting_pubrel", client.inbound_qos2.size());
        return send(client, Puback{p.topic_id, p.msg_id, ReturnCode::congestion}, out);
      }
      client.inbound_qos2.insert(p.msg_id);
      put_on_bus(*topic, p, client.client_id, out);
      send(client, Pubrec{p.msg_id}, out);
      return;
    default:
      put_on_bus(*topic, p, client.client_id, out);
      return;
  }
}

void GatewayCore::on_pubrel(Client& client, const Pubrel& p, Actions& out) {
  client.inbound_qos2.erase(p.msg_id);
  send(client, Pubcomp{p.msg_id}, out);
}

void GatewayCore::on_register(Client& client, const Register& r, Actions& out) {
  if (!topic::validate_name(r.topic_name)) {
    // Wildcards cannot be registered (6.5): a filter is not a topic name.
    return send(client, Regack{0, r.msg_id, ReturnCode::not_supported}, out);
  }
  auto id = client.topics.assign(r.topic_name);
  if (!id) {
    TLOG_LIMITED(info, "mqttsn") << "register refused" << log::kv("client", client.client_id)
                                 << log::kv("reason", "congestion")
                                 << log::kv("topics", client.topics.size());
    return send(client, Regack{0, r.msg_id, ReturnCode::congestion}, out);
  }
  client.topics.set_known(*id, true);
  TLOG(debug, "mqttsn") << "topic registered" << log::kv("client", client.client_id)
                        << log::kv("topic", r.topic_name) << log::kv("topic_id", *id);
  send(client, Regack{*id, r.msg_id, ReturnCode::accepted}, out);
}

// ------------------------------------------------------------------ outbound

void GatewayCore::on_deliver(uint64_t session, const MessagePtr& msg, uint8_t qos,
                             Clock::time_point now, Actions& out) {
  auto it = clients_.find(session);
  if (it == clients_.end()) return;  // the session ended while this was on its way
  Client& client = *it->second;
  enqueue(client, Outbound{msg, qos, false});
  pump(client, now, out);
}

void GatewayCore::on_retained(uint64_t session, const std::vector<MessagePtr>& msgs, uint8_t qos,
                              Clock::time_point now, Actions& out) {
  auto it = clients_.find(session);
  if (it == clients_.end()) return;
  Client& client = *it->second;
  for (const auto& msg : msgs) enqueue(client, Outbound{msg, std::min(msg->qos, qos), true});
  pump(client, now, out);
}

void GatewayCore::enqueue(Client& client, Outbound item) {
  if (client.state == ClientState::disconnected && item.qos == 0) {
    counters_.dropped_offline.add();
    return;
  }
  std::size_t limit = options_.max_buffered_messages;
  // A connected client always gets room for the message behind the one in flight.
  if (client.state != ClientState::asleep && client.state != ClientState::disconnected) {
    limit = std::max<std::size_t>(limit, 1);
  }
  if (limit == 0) {
    counters_.dropped_buffer_full.add();
    return;
  }
  if (client.queue.size() >= limit) {
    counters_.dropped_buffer_full.add();
    TLOG(debug, "mqttsn") << "buffer full, oldest message dropped"
                          << log::kv("client", client.client_id)
                          << log::kv("state", state_name(client.state))
                          << log::kv("topic", client.queue.front().msg->topic);
    client.queue.pop_front();
    if (client.wake_budget > client.queue.size()) client.wake_budget = client.queue.size();
  }
  client.queue.push_back(std::move(item));
}

void GatewayCore::pump(Client& client, Clock::time_point now, Actions& out) {
  if (client.state != ClientState::active && client.state != ClientState::awake) return;
  while (!client.pending && !client.queue.empty()) {
    if (client.state == ClientState::awake && client.wake_budget == 0) break;
    Outbound& item = client.queue.front();
    const std::string& topic = item.msg->topic;
    if (item.msg->body().size() + publish_overhead > options_.max_datagram) {
      counters_.dropped_too_large.add();
      TLOG(info, "mqttsn") << "message too large for a datagram, dropped"
                           << log::kv("client", client.client_id) << log::kv("topic", topic)
                           << log::kv("size", item.msg->body().size());
      client.queue.pop_front();
      if (client.wake_budget > 0) --client.wake_budget;
      continue;
    }

    // Which TopicId the client understands for this name.
    TopicIdType type = TopicIdType::normal;
    uint16_t id = 0;
    if (auto reg = client.topics.find(topic); reg && client.topics.known(*reg)) {
      id = *reg;
    } else if (auto pre = predefined_.id(topic)) {
      type = TopicIdType::predefined;
      id = *pre;
    } else if (topic.size() == 2) {
      type = TopicIdType::short_name;
      id = short_topic_id(topic[0], topic[1]);
    } else {
      auto assigned = client.topics.assign(topic);
      if (!assigned) {
        counters_.dropped_buffer_full.add();
        TLOG(info, "mqttsn") << "no topic id left, message dropped"
                             << log::kv("client", client.client_id) << log::kv("topic", topic);
        client.queue.pop_front();
        if (client.wake_budget > 0) --client.wake_budget;
        continue;
      }
      // The gateway registers the name before it first publishes on it (6.5).
      uint16_t msg_id = client.next_msg_id();
      Register reg{*assigned, msg_id, topic};
      client.pending = Pending{Pending::Kind::reg, reg, msg_id, now, 0};
      send(client, std::move(reg), out);
      break;
    }

    Outbound taken = std::move(item);
    client.queue.pop_front();
    if (client.wake_budget > 0) --client.wake_budget;
    Publish p;
    p.qos = static_cast<int8_t>(taken.qos);
    p.retain = taken.retain;
    p.topic_id_type = type;
    p.topic_id = id;
    p.msg_id = taken.qos > 0 ? client.next_msg_id() : 0;
    p.data = std::string(taken.msg->body());
    counters_.publish_sent.add();
    if (taken.qos > 0) client.pending = Pending{Pending::Kind::publish, p, p.msg_id, now, 0};
    send(client, std::move(p), out);
  }
  if (client.state == ClientState::awake && !client.pending &&
      (client.wake_budget == 0 || client.queue.empty())) {
    // Everything that waited is delivered: PINGRESP sends the client back to
    // sleep (6.14), and its sleep timer starts again.
    send(client, Pingresp{}, out);
    client.wake_budget = 0;
    client.last_rx = now;
    set_state(client, ClientState::asleep);
    TLOG(debug, "mqttsn") << "client back asleep" << log::kv("client", client.client_id)
                          << log::kv("queued", client.queue.size());
  }
}

void GatewayCore::on_regack(Client& client, const Regack& r, Clock::time_point now, Actions& out) {
  if (!client.pending || client.pending->kind != Pending::Kind::reg ||
      client.pending->msg_id != r.msg_id) {
    return;  // late or duplicate
  }
  auto reg = std::get<Register>(client.pending->message);
  auto then_publish = std::move(client.pending->then_publish);
  client.pending.reset();
  if (r.return_code == ReturnCode::accepted) {
    client.topics.set_known(reg.topic_id, true);
    if (then_publish) {
      const uint16_t msg_id = then_publish->msg_id;
      client.pending = Pending{Pending::Kind::publish, *then_publish, msg_id, now, 0};
      client.pending->registered_again = true;
      send(client, std::move(*then_publish), out);
      return;
    }
  } else {
    // The client will not take this topic: what waited for it is dropped.
    counters_.dropped_invalid_topic.add();
    TLOG(info, "mqttsn") << "client refused a topic" << log::kv("client", client.client_id)
                         << log::kv("topic", reg.topic_name)
                         << log::kv("return_code", static_cast<int>(r.return_code));
    // A message resent after the REGISTER was already taken off the queue.
    if (!then_publish && !client.queue.empty() &&
        client.queue.front().msg->topic == reg.topic_name) {
      client.queue.pop_front();
      if (client.wake_budget > 0) --client.wake_budget;
    }
  }
  pump(client, now, out);
}

void GatewayCore::on_puback(Client& client, const Puback& p, Clock::time_point now, Actions& out) {
  if (p.msg_id == 0 && p.return_code == ReturnCode::invalid_topic_id &&
      client.topics.name(p.topic_id)) {
    // The answer to a QoS 0 PUBLISH (MsgId 0): the client lost the id (6.7),
    // so the next message on it registers the name first.
    client.topics.set_known(p.topic_id, false);
    return;
  }
  if (!client.pending || client.pending->kind != Pending::Kind::publish ||
      client.pending->msg_id != p.msg_id) {
    return;
  }
  const auto& sent = std::get<Publish>(client.pending->message);
  if (p.return_code == ReturnCode::invalid_topic_id && sent.topic_id_type == TopicIdType::normal) {
    // The client lost the id (6.7): register it again, and resend this
    // message on it unless that was done already.
    client.topics.set_known(sent.topic_id, false);
    if (!client.pending->registered_again) return register_again(client, sent, now, out);
  }
  if (p.return_code != ReturnCode::accepted) {
    counters_.dropped_invalid_topic.add();
    TLOG(info, "mqttsn") << "client refused a publish" << log::kv("client", client.client_id)
                         << log::kv("topic_id", sent.topic_id)
                         << log::kv("return_code", static_cast<int>(p.return_code));
  }
  client.pending.reset();
  pump(client, now, out);
}

void GatewayCore::on_pubrec(Client& client, const Pubrec& p, Clock::time_point now, Actions& out) {
  if (!client.pending || client.pending->msg_id != p.msg_id) return;
  if (client.pending->kind == Pending::Kind::publish) {
    if (std::get<Publish>(client.pending->message).qos != 2) return;
    client.pending = Pending{Pending::Kind::pubrel, Pubrel{p.msg_id}, p.msg_id, now, 0};
  } else if (client.pending->kind != Pending::Kind::pubrel) {
    return;
  }
  // Also answers a repeated PUBREC: our PUBREL was lost.
  send(client, Pubrel{p.msg_id}, out);
}

void GatewayCore::on_pubcomp(Client& client, const Pubcomp& p, Clock::time_point now,
                             Actions& out) {
  if (!client.pending || client.pending->kind != Pending::Kind::pubrel ||
      client.pending->msg_id != p.msg_id) {
    return;
  }
  client.pending.reset();
  pump(client, now, out);
}

void GatewayCore::register_again(Client& client, Publish pub, Clock::time_point now, Actions& out) {
  const std::string* name = client.topics.name(pub.topic_id);
  if (!name) {
    counters_.dropped_invalid_topic.add();
    client.pending.reset();
    return pump(client, now, out);
  }
  pub.dup = true;  // 5.3.4: the client may have had it before
  const uint16_t msg_id = client.next_msg_id();
  Register reg{pub.topic_id, msg_id, *name};
  client.pending = Pending{Pending::Kind::reg, reg, msg_id, now, 0};
  client.pending->then_publish = std::move(pub);
  send(client, std::move(reg), out);
}

}  // namespace trellis::mqttsn
