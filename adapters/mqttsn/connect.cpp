// CONNECT and the will exchange (6.2, 6.3), DISCONNECT and sleeping clients
// (6.12, 6.14), PINGREQ (6.11), and will updates (6.4).
#include <algorithm>

#include "adapters/mqttsn/gateway_core.hpp"
#include "core/log.hpp"
#include "core/topic.hpp"

namespace trellis::mqttsn {

void GatewayCore::on_connect(const std::string& from, const Connect& c, Clock::time_point now,
                             Actions& out) {
  if (c.client_id.empty()) {
    TLOG_LIMITED(info, "mqttsn") << "connect refused" << log::kv("remote", from)
                                 << log::kv("reason", "empty client id");
    return send_to(from, Connack{ReturnCode::not_supported}, out);
  }

  if (Client* other = by_address(from); other && other->client_id != c.client_id) {
    address_taken(*other, out);
  }

  std::optional<std::string> device;
  // Required registration means registered beforehand: admit() would
  // auto-register any client id.
  if (directory_) {
    device = options_.require_registered ? directory_->find("mqttsn", c.client_id)
                                         : directory_->admit("mqttsn", c.client_id);
  }
  if (!device && options_.require_registered) {
    counters_.auth_failures.add();
    TLOG_LIMITED(info, "mqttsn") << "connect refused" << log::kv("client", c.client_id)
                                 << log::kv("remote", from) << log::kv("reason", "not registered");
    // MQTT-SN 1.2 has no "not authorized"; 0x03 is its only plain refusal.
    return send_to(from, Connack{ReturnCode::not_supported}, out);
  }

  Client* client = nullptr;
  if (auto it = by_client_id_.find(c.client_id); it != by_client_id_.end()) {
    client = clients_.at(it->second).get();
  }
  if (!client && options_.max_clients != 0 && connected_count() >= options_.max_clients) {
    TLOG_LIMITED(info, "mqttsn") << "connect refused" << log::kv("client", c.client_id)
                                 << log::kv("remote", from)
                                 << log::kv("reason", "too many clients");
    return send_to(from, Connack{ReturnCode::congestion}, out);
  }

  // Presence follows the device, not the session: a reconnect of the same
  // device keeps it online without an offline/online flap.
  bool keep_online = false;
  if (client) {
    if (!client->address.empty() && client->address != from) {
      TLOG(info, "mqttsn") << "client moved" << log::kv("client", c.client_id)
                           << log::kv("from", client->address) << log::kv("to", from);
    }
    if (client->online) {
      if (client->device_id == device) {
        keep_online = true;
      } else if (client->device_id && directory_) {
        directory_->set_offline(*client->device_id, "mqttsn");
      }
      client->online = false;
    }
    if (c.clean_session) {
      // A fresh session: the old one goes, without its will (the client is
      // evidently alive).
      remove(*client, out);
      client = nullptr;
    }
  }
  if (!client) client = &create(c.client_id);

  map_address(*client, from);
  client->device_id = std::move(device);
  client->online = keep_online;
  client->clean = c.clean_session;
  client->keepalive = c.duration;
  client->last_rx = now;
  client->wake_budget = 0;
  client->topics.forget_known();
  // A REGISTER cut short by the old connection is simply made again; a
  // PUBLISH (also one that waited for such a REGISTER) or PUBREL is resent
  // after CONNACK.
  if (client->pending && client->pending->kind == Pending::Kind::reg) {
    if (auto then_publish = std::move(client->pending->then_publish)) {
      const uint16_t msg_id = then_publish->msg_id;
      client->pending = Pending{Pending::Kind::publish, std::move(*then_publish), msg_id, now, 0};
    } else {
      client->pending.reset();
    }
  }
  if (client->state != ClientState::connecting) set_state(*client, ClientState::connecting);

  if (!c.will) {
    // With a persistent session the stored will stays (6.3 extends clean
    // session to the will); a clean session has none.
    client->will_stage = WillStage::none;
    return finish_connect(*client, now, out);
  }
  client->will = Will{};
  client->will_stage = WillStage::topic;
  client->will_prompt_at = now;
  client->will_retries = 0;
  send(*client, WillTopicReq{}, out);
}

void GatewayCore::address_taken(Client& client, Actions& out) {
  if (client.state == ClientState::asleep) {
    // Sleepers wake from wherever they are, by client id (6.14): it only
    // loses the address.
    TLOG(debug, "mqttsn") << "address reused while asleep" << log::kv("client", client.client_id)
                          << log::kv("remote", client.address);
    return unmap_address(client);
  }
  // Anyone else is gone: a device restarted under a new id, or a NAT reused
  // the port.
  lose(client, "address taken by another client", out);
}

void GatewayCore::on_willtopic(Client& client, const WillTopic& w, Clock::time_point now,
                               Actions& out) {
  if (client.will_stage == WillStage::message) {
    // Our WILLMSGREQ was lost and the client repeated WILLTOPIC.
    client.will_prompt_at = now;
    return send(client, WillMsgReq{}, out);
  }
  if (client.will_stage != WillStage::topic) return;
  if (w.will_topic.empty()) {
    // An empty WILLTOPIC: no will after all (5.4.7).
    client.will = Will{};
    client.will_stage = WillStage::none;
    return finish_connect(client, now, out);
  }
  if (!topic::validate_name(w.will_topic) || topic::is_system(w.will_topic)) {
    TLOG(info, "mqttsn") << "connect refused" << log::kv("client", client.client_id)
                         << log::kv("reason", "invalid will topic");
    send(client, Connack{ReturnCode::not_supported}, out);
    return end_connection(client, out);
  }
  client.will.topic = w.will_topic;
  client.will.qos = static_cast<uint8_t>(std::clamp<int>(w.qos, 0, 2));
  client.will.retain = w.retain;
  client.will_stage = WillStage::message;
  client.will_prompt_at = now;
  client.will_retries = 0;
  send(client, WillMsgReq{}, out);
}

void GatewayCore::on_willmsg(Client& client, const WillMsg& w, Clock::time_point now,
                             Actions& out) {
  if (client.will_stage != WillStage::message) return;
  client.will.message = w.will_msg;
  client.will_stage = WillStage::none;
  finish_connect(client, now, out);
}

void GatewayCore::finish_connect(Client& client, Clock::time_point now, Actions& out) {
  set_state(client, ClientState::active);
  client.connected_at_ms = now_ms();
  client.last_rx = now;
  counters_.connections_total.add();
  if (!client.online && client.device_id && directory_) {
    directory_->set_online(*client.device_id, "mqttsn", client.address);
    client.online = true;
  }
  send(client, Connack{ReturnCode::accepted}, out);
  TLOG(info, "mqttsn") << "client connected" << log::kv("client", client.client_id)
                       << log::kv("remote", client.address) << log::kv("clean", client.clean)
                       << log::kv("keepalive", client.keepalive)
                       << log::kv("will", !client.will.topic.empty())
                       << log::kv("queued", client.queue.size());
  resend_pending(client, now, out);
  pump(client, now, out);
}

void GatewayCore::resend_pending(Client& client, Clock::time_point now, Actions& out) {
  if (!client.pending) return;
  if (auto* pub = std::get_if<Publish>(&client.pending->message);
      pub && pub->topic_id_type == TopicIdType::normal && !client.topics.known(pub->topic_id)) {
    return register_again(client, *pub, now, out);
  }
  client.pending->sent_at = now;
  client.pending->retries = 0;
  if (auto* pub = std::get_if<Publish>(&client.pending->message)) pub->dup = true;  // 5.3.4
  send(client, client.pending->message, out);
}

void GatewayCore::on_disconnect(Client& client, const Disconnect& d, Clock::time_point now,
                                Actions& out) {
  send(client, Disconnect{}, out);
  if (d.duration && *d.duration > 0) {
    client.sleep_duration = *d.duration;
    client.last_rx = now;
    client.wake_budget = 0;
    set_state(client, ClientState::asleep);
    TLOG(info, "mqttsn") << "client asleep" << log::kv("client", client.client_id)
                         << log::kv("duration", client.sleep_duration)
                         << log::kv("queued", client.queue.size());
    return;
  }
  TLOG(info, "mqttsn") << "client disconnected" << log::kv("client", client.client_id)
                       << log::kv("remote", client.address);
  end_connection(client, out);
}

void GatewayCore::on_pingreq(const std::string& from, const Pingreq& p, Client* client,
                             Clock::time_point now, Actions& out) {
  if (!p.client_id.empty()) {
    // A sleeping client checking for messages (6.14), maybe from a new address.
    auto it = by_client_id_.find(p.client_id);
    Client* named = it == by_client_id_.end() ? nullptr : clients_.at(it->second).get();
    if (named && (named->state == ClientState::asleep || named->state == ClientState::awake)) {
      if (client && client != named) address_taken(*client, out);
      return wake(*named, from, now, out);
    }
    if (named && named == client) return send_to(from, Pingresp{}, out);
    counters_.dropped_unexpected.add();
    TLOG(debug, "mqttsn") << "PINGREQ from a client not asleep" << log::kv("client", p.client_id)
                          << log::kv("remote", from);
    return send_to(from, Disconnect{}, out);
  }
  if (!client || client->state == ClientState::connecting) {
    counters_.dropped_unexpected.add();
    return send_to(from, Disconnect{}, out);
  }
  if (client->state == ClientState::asleep || client->state == ClientState::awake) {
    return wake(*client, from, now, out);
  }
  send(*client, Pingresp{}, out);
}

void GatewayCore::wake(Client& client, const std::string& from, Clock::time_point now,
                       Actions& out) {
  map_address(client, from);
  client.last_rx = now;
  if (client.state == ClientState::asleep) {
    set_state(client, ClientState::awake);
    // Only what waited when the client woke: traffic that keeps arriving
    // must not keep it awake forever.
    client.wake_budget = client.queue.size();
    TLOG(debug, "mqttsn") << "client awake" << log::kv("client", client.client_id)
                          << log::kv("queued", client.queue.size());
    resend_pending(client, now, out);
  }
  pump(client, now, out);
}

void GatewayCore::on_willtopicupd(Client& client, const WillTopicUpd& w, Actions& out) {
  if (w.will_topic.empty()) {
    client.will = Will{};  // an empty WILLTOPICUPD deletes the will (5.4.22)
  } else if (!topic::validate_name(w.will_topic) || topic::is_system(w.will_topic)) {
    return send(client, WillTopicResp{ReturnCode::not_supported}, out);
  } else {
    client.will.topic = w.will_topic;
    client.will.qos = static_cast<uint8_t>(std::clamp<int>(w.qos, 0, 2));
    client.will.retain = w.retain;
  }
  TLOG(debug, "mqttsn") << "will topic updated" << log::kv("client", client.client_id)
                        << log::kv("topic", client.will.topic);
  send(client, WillTopicResp{ReturnCode::accepted}, out);
}

void GatewayCore::on_willmsgupd(Client& client, const WillMsgUpd& w, Actions& out) {
  client.will.message = w.will_msg;
  TLOG(debug, "mqttsn") << "will message updated" << log::kv("client", client.client_id);
  send(client, WillMsgResp{ReturnCode::accepted}, out);
}

}  // namespace trellis::mqttsn
