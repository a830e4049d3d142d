#include "adapters/mqttsn/gateway_core.hpp"

#include <algorithm>

#include "core/log.hpp"

namespace trellis::mqttsn {

namespace {

// The keepalive (6.11) and sleep (6.14) timers allow one and a half periods
// before a silent client counts as lost.
Clock::duration grace(uint16_t seconds) {
  return std::chrono::milliseconds(seconds) * 1500;
}

}  // namespace

std::string_view state_name(ClientState state) {
  switch (state) {
    case ClientState::connecting:
      return "connecting";
    case ClientState::active:
      return "active";
    case ClientState::asleep:
      return "asleep";
    case ClientState::awake:
      return "awake";
    case ClientState::disconnected:
      return "disconnected";
  }
  return "unknown";
}

GatewayCore::GatewayCore(GatewayOptions options, GatewayCounters& counters,
                         DeviceDirectory* directory)
    : options_(std::move(options)),
      counters_(counters),
      directory_(directory),
      predefined_(options_.predefined_topics) {}

// ------------------------------------------------------------------ dispatch

Client* GatewayCore::by_address(const std::string& address) {
  auto it = by_address_.find(address);
  if (it == by_address_.end()) return nullptr;
  return clients_.at(it->second).get();
}

const Client* GatewayCore::find(std::string_view client_id) const {
  auto it = by_client_id_.find(std::string(client_id));
  if (it == by_client_id_.end()) return nullptr;
  return clients_.at(it->second).get();
}

void GatewayCore::on_datagram(const std::string& from, std::string_view datagram,
                              Clock::time_point now, Actions& out) {
  counters_.datagrams_received.add();
  counters_.bytes_received.add(datagram.size());
  auto decoded = decode(datagram);
  if (!decoded) {
    // Nothing is answered: the sender may not even speak MQTT-SN, and its
    // session (if any) is left exactly as it was.
    counters_.dropped_malformed.add();
    TLOG_LIMITED(info, "mqttsn") << "malformed datagram dropped" << log::kv("remote", from)
                                 << log::kv("error", decoded.error().code)
                                 << log::kv("detail", decoded.error().message)
                                 << log::kv("size", datagram.size());
    return;
  }
  Message& msg = *decoded;
  TLOG(trace, "mqttsn") << "received" << log::kv("remote", from)
                        << log::kv("type", name(type_of(msg)));
  Client* client = by_address(from);
  if (client) client->last_rx = now;
  handle(from, msg, client, now, out);
}

void GatewayCore::handle(const std::string& from, Message& msg, Client* client,
                         Clock::time_point now, Actions& out) {
  // Messages anyone may send, connected or not.
  if (std::holds_alternative<SearchGw>(msg)) {
    // Answered to the searcher's own address, not broadcast (6.1), so a
    // client on another host hears it without multicast.
    send_to(from, GwInfo{options_.gateway_id, {}}, out);
    return;
  }
  if (auto* c = std::get_if<Connect>(&msg)) return on_connect(from, *c, now, out);
  if (auto* p = std::get_if<Pingreq>(&msg)) return on_pingreq(from, *p, client, now, out);
  if (auto* p = std::get_if<Publish>(&msg); p && p->qos < 0) {
    return on_publish_minus_one(from, *p, out);
  }
  if (std::holds_alternative<Advertise>(msg) || std::holds_alternative<GwInfo>(msg)) {
    return;  // other gateways, or clients answering a SEARCHGW for us (6.1)
  }
  if (!client) return handle_unknown_sender(from, msg, now, out);

  if (client->state == ClientState::connecting) {
    if (auto* w = std::get_if<WillTopic>(&msg)) return on_willtopic(*client, *w, now, out);
    if (auto* w = std::get_if<WillMsg>(&msg)) return on_willmsg(*client, *w, now, out);
    if (std::holds_alternative<Disconnect>(msg)) {
      send(*client, Disconnect{}, out);
      return end_connection(*client, out);
    }
    counters_.dropped_unexpected.add();
    TLOG(debug, "mqttsn") << "message before CONNACK ignored"
                          << log::kv("client", client->client_id)
                          << log::kv("type", name(type_of(msg)));
    return;
  }

  std::visit(
      [&](auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Publish>) {
          on_publish(*client, m, out);
        } else if constexpr (std::is_same_v<T, Puback>) {
          on_puback(*client, m, now, out);
        } else if constexpr (std::is_same_v<T, Pubrec>) {
          on_pubrec(*client, m, now, out);
        } else if constexpr (std::is_same_v<T, Pubrel>) {
          on_pubrel(*client, m, out);
        } else if constexpr (std::is_same_v<T, Pubcomp>) {
          on_pubcomp(*client, m, now, out);
        } else if constexpr (std::is_same_v<T, Register>) {
          on_register(*client, m, out);
        } else if constexpr (std::is_same_v<T, Regack>) {
          on_regack(*client, m, now, out);
        } else if constexpr (std::is_same_v<T, Subscribe>) {
          on_subscribe(*client, m, out);
        } else if constexpr (std::is_same_v<T, Unsubscribe>) {
          on_unsubscribe(*client, m, out);
        } else if constexpr (std::is_same_v<T, Disconnect>) {
          on_disconnect(*client, m, now, out);
        } else if constexpr (std::is_same_v<T, WillTopicUpd>) {
          on_willtopicupd(*client, m, out);
        } else if constexpr (std::is_same_v<T, WillMsgUpd>) {
          on_willmsgupd(*client, m, out);
        } else if constexpr (std::is_same_v<T, WillTopic> || std::is_same_v<T, WillMsg>) {
          // A late retransmission after CONNACK: the exchange is over.
        } else {
          counters_.dropped_unexpected.add();
          TLOG(debug, "mqttsn") << "unexpected message ignored"
                                << log::kv("client", client->client_id)
                                << log::kv("type", name(type_of(msg)));
        }
      },
      msg);
}

void GatewayCore::handle_unknown_sender(const std::string& from, Message& msg, Clock::time_point,
                                        Actions& out) {
  counters_.dropped_unexpected.add();
  MsgType type = type_of(msg);
  TLOG(debug, "mqttsn") << "message from unknown client" << log::kv("remote", from)
                        << log::kv("type", name(type));
  switch (type) {
    case MsgType::publish:
    case MsgType::reg:
    case MsgType::subscribe:
    case MsgType::unsubscribe:
    case MsgType::willtopicupd:
    case MsgType::willmsgupd:
      // The client believes it is connected (the gateway restarted, or lost
      // it): DISCONNECT tells it to connect again.
      send_to(from, Disconnect{}, out);
      break;
    default:
      break;  // acknowledgements and gateway messages: nothing to say
  }
}

// ----------------------------------------------------------------- lifecycle

Client& GatewayCore::create(const std::string& client_id) {
  uint64_t session = ++last_session_;
  auto owned = std::make_unique<Client>(session, client_id, options_.max_topics_per_client);
  Client& client = *owned;
  clients_.emplace(session, std::move(owned));
  by_client_id_[client_id] = session;
  return client;
}

void GatewayCore::set_state(Client& client, ClientState state) {
  bool was_connected = client.connected();
  bool was_asleep = client.state == ClientState::asleep;
  client.state = state;
  bool is_connected = client.connected();
  if (was_connected != is_connected) {
    counters_.clients_connected.add(is_connected ? 1 : -1);
    counters_.connections.add(is_connected ? 1 : -1);
  }
  bool is_asleep = state == ClientState::asleep;
  if (was_asleep != is_asleep) counters_.clients_asleep.add(is_asleep ? 1 : -1);
}

void GatewayCore::map_address(Client& client, const std::string& address) {
  if (client.address == address) {
    by_address_[address] = client.session;
    return;
  }
  unmap_address(client);
  client.address = address;
  by_address_[address] = client.session;
}

void GatewayCore::unmap_address(Client& client) {
  if (client.address.empty()) return;
  auto it = by_address_.find(client.address);
  if (it != by_address_.end() && it->second == client.session) by_address_.erase(it);
  client.address.clear();
}

void GatewayCore::lose(Client& client, std::string_view reason, Actions& out) {
  counters_.clients_lost.add();
  TLOG(info, "mqttsn") << "client lost" << log::kv("client", client.client_id)
                       << log::kv("reason", reason) << log::kv("remote", client.address);
  if (client.state != ClientState::connecting && !client.will.topic.empty()) {
    counters_.wills_published.add();
    TLOG(debug, "mqttsn") << "will published" << log::kv("client", client.client_id)
                          << log::kv("topic", client.will.topic);
    out.push_back(
        PublishAction{make_message(client.will.topic, client.will.message, client.will.qos,
                                   client.will.retain, Origin::mqttsn, client.client_id)});
  }
  end_connection(client, out);
}

void GatewayCore::end_connection(Client& client, Actions& out) {
  unmap_address(client);
  if (client.online && client.device_id && directory_) {
    directory_->set_offline(*client.device_id, "mqttsn");
  }
  client.online = false;
  client.will_stage = WillStage::none;
  client.wake_budget = 0;
  if (client.clean) return remove(client, out);
  set_state(client, ClientState::disconnected);
  // Only messages that must arrive wait for a persistent session (as MQTT).
  std::erase_if(client.queue, [](const Outbound& o) { return o.qos == 0; });
}

void GatewayCore::remove(Client& client, Actions& out) {
  set_state(client, ClientState::disconnected);
  unmap_address(client);
  out.push_back(ForgetAction{client.session});
  auto it = by_client_id_.find(client.client_id);
  if (it != by_client_id_.end() && it->second == client.session) by_client_id_.erase(it);
  clients_.erase(client.session);  // `client` dangles from here
}

bool GatewayCore::disconnect(const std::string& client_id, Clock::time_point, Actions& out) {
  auto it = by_client_id_.find(client_id);
  if (it == by_client_id_.end()) return false;
  Client& client = *clients_.at(it->second);
  if (!client.connected()) return false;
  send(client, Disconnect{}, out);
  lose(client, "disconnected by request", out);
  return true;
}

void GatewayCore::shutdown(Actions& out) {
  std::vector<uint64_t> sessions;
  for (const auto& [session, _] : clients_) sessions.push_back(session);
  for (uint64_t session : sessions) {
    Client& client = *clients_.at(session);
    if (client.online && client.device_id && directory_) {
      directory_->set_offline(*client.device_id, "mqttsn");
    }
    client.online = false;
    remove(client, out);
  }
}

// -------------------------------------------------------------------- timers

void GatewayCore::on_tick(Clock::time_point now, Actions& out) {
  std::vector<uint64_t> sessions;
  sessions.reserve(clients_.size());
  for (const auto& [session, _] : clients_) sessions.push_back(session);
  for (uint64_t session : sessions) {
    auto it = clients_.find(session);
    if (it == clients_.end()) continue;
    Client& client = *it->second;
    switch (client.state) {
      case ClientState::active:
        if (client.keepalive != 0 && now - client.last_rx > grace(client.keepalive)) {
          lose(client, "keepalive expired", out);
          continue;
        }
        retry(client, now, out);
        break;
      case ClientState::awake:
      case ClientState::connecting:
        retry(client, now, out);
        break;
      case ClientState::asleep:
        if (client.sleep_duration != 0 && now - client.last_rx > grace(client.sleep_duration)) {
          lose(client, "sleep duration expired", out);
        }
        break;
      case ClientState::disconnected:
        break;
    }
  }

  if (options_.advertise_interval.count() > 0 && !options_.advertise_address.empty()) {
    if (!next_advertise_ || now >= *next_advertise_) {
      auto seconds = std::min<int64_t>(options_.advertise_interval.count(), 0xFFFF);
      send_to(options_.advertise_address,
              Advertise{options_.gateway_id, static_cast<uint16_t>(seconds)}, out);
      next_advertise_ = now + options_.advertise_interval;
    }
  }
}

void GatewayCore::retry(Client& client, Clock::time_point now, Actions& out) {
  if (client.will_stage != WillStage::none) {
    if (now - client.will_prompt_at < options_.retry_interval) return;
    if (client.will_retries >= options_.max_retries) {
      TLOG(info, "mqttsn") << "will exchange abandoned" << log::kv("client", client.client_id)
                           << log::kv("retries", client.will_retries);
      return end_connection(client, out);
    }
    ++client.will_retries;
    client.will_prompt_at = now;
    counters_.retransmissions.add();
    if (client.will_stage == WillStage::topic) {
      send(client, WillTopicReq{}, out);
    } else {
      send(client, WillMsgReq{}, out);
    }
    return;
  }
  if (!client.pending) return;
  Pending& p = *client.pending;
  if (now - p.sent_at < options_.retry_interval) return;
  if (p.retries >= options_.max_retries) {
    return lose(client, "no acknowledgement after retries", out);
  }
  ++p.retries;
  p.sent_at = now;
  if (auto* pub = std::get_if<Publish>(&p.message)) pub->dup = true;  // 5.3.4
  counters_.retransmissions.add();
  TLOG(debug, "mqttsn") << "retransmission" << log::kv("client", client.client_id)
                        << log::kv("type", name(type_of(p.message))) << log::kv("msg_id", p.msg_id)
                        << log::kv("retry", p.retries);
  send(client, p.message, out);
}

// ------------------------------------------------------------------- sending

void GatewayCore::send(const Client& client, Message msg, Actions& out) {
  if (client.address.empty()) return;
  send_to(client.address, std::move(msg), out);
}

void GatewayCore::send_to(const std::string& address, Message msg, Actions& out) {
  out.push_back(SendAction{address, std::move(msg)});
}

// ----------------------------------------------------------------- inspection

std::vector<ClientInfo> GatewayCore::clients() const {
  std::vector<ClientInfo> list;
  for (const auto& [_, c] : clients_) {
    if (!c->connected()) continue;
    ClientInfo info;
    info.client_id = c->client_id;
    info.protocol = "mqttsn";
    info.transport = "udp";
    info.remote = c->address;
    info.clean_session = c->clean;
    info.keepalive = c->keepalive;
    info.connected_at_ms = c->connected_at_ms;
    info.subscriptions = c->subscriptions.size();
    info.queued = c->queue.size();
    info.inflight = c->pending ? 1 : 0;
    info.state = std::string(state_name(c->state));
    list.push_back(std::move(info));
  }
  std::sort(list.begin(), list.end(),
            [](const ClientInfo& a, const ClientInfo& b) { return a.client_id < b.client_id; });
  return list;
}

std::size_t GatewayCore::connected_count() const {
  return static_cast<std::size_t>(std::count_if(
      clients_.begin(), clients_.end(), [](const auto& kv) { return kv.second->connected(); }));
}

}  // namespace trellis::mqttsn
