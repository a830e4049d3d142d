#pragma once
// The MQTT-SN gateway without sockets: datagrams, bus deliveries and clock
// ticks go in, actions come out (datagrams to send, messages to publish, bus
// subscriptions to make). Gateway carries the actions out on its UDP socket
// and the bus; unit tests read them directly.
//
// Holds every client's state keyed by address and by client id. Not
// thread-safe: the Gateway calls it on its strand under its own mutex.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "adapters/mqttsn/client_state.hpp"
#include "adapters/mqttsn/codec.hpp"
#include "adapters/mqttsn/counters.hpp"
#include "adapters/mqttsn/options.hpp"
#include "adapters/mqttsn/topic_registry.hpp"
#include "core/auth.hpp"
#include "core/clients.hpp"
#include "core/message.hpp"

namespace trellis::mqttsn {

// Send one message to "ip:port".
struct SendAction {
  std::string address;
  Message message;
};
// Put a message on the bus.
struct PublishAction {
  MessagePtr message;
};
// Subscribe the session's bus subscriber, and in the same step (see
// Bus::subscribe) hand the filter's retained messages to
// GatewayCore::on_retained, whose sends go to the end of the actions: after
// the SUBACK that follows this one, as retained messages must. Comes before
// the SUBACK, so that nothing published after the client hears it is missed.
struct SubscribeAction {
  uint64_t session = 0;
  std::string filter;
  uint8_t qos = 0;
};
struct UnsubscribeAction {
  uint64_t session = 0;
  std::string filter;
};
// The session ended: drop all its bus subscriptions and its subscriber.
struct ForgetAction {
  uint64_t session = 0;
};

using Action =
    std::variant<SendAction, PublishAction, SubscribeAction, UnsubscribeAction, ForgetAction>;
using Actions = std::vector<Action>;

class GatewayCore {
 public:
  // `directory` may be null: then nobody is admitted when require_registered
  // is on, and presence is not reported.
  GatewayCore(GatewayOptions options, GatewayCounters& counters, DeviceDirectory* directory);
  GatewayCore(const GatewayCore&) = delete;
  GatewayCore& operator=(const GatewayCore&) = delete;

  // One datagram from `from` ("ip:port").
  void on_datagram(const std::string& from, std::string_view datagram, Clock::time_point now,
                   Actions& out);
  // A bus delivery to a session's subscriber, at the QoS the bus granted.
  void on_deliver(uint64_t session, const MessagePtr& msg, uint8_t qos, Clock::time_point now,
                  Actions& out);
  // The retained messages of a filter a session just subscribed to at `qos`.
  void on_retained(uint64_t session, const std::vector<MessagePtr>& msgs, uint8_t qos,
                   Clock::time_point now, Actions& out);
  // Timers: retransmissions, keepalive and sleep supervision, ADVERTISE.
  void on_tick(Clock::time_point now, Actions& out);

  // Ends a connected client as if it had vanished (its will is published),
  // telling it with DISCONNECT. False when no such client is connected.
  bool disconnect(const std::string& client_id, Clock::time_point now, Actions& out);
  // Gateway shutdown: every session ends, without wills.
  void shutdown(Actions& out);

  // Connected clients (active, asleep, awake), for GET /api/v1/clients.
  std::vector<ClientInfo> clients() const;
  std::size_t connected_count() const;
  // A client's state by client id, for tests and logs; nullptr if unknown.
  const Client* find(std::string_view client_id) const;

 private:
  // dispatch
  Client* by_address(const std::string& address);
  void handle(const std::string& from, Message& msg, Client* client, Clock::time_point now,
              Actions& out);
  void handle_unknown_sender(const std::string& from, Message& msg, Clock::time_point now,
                             Actions& out);

  // connect.cpp: CONNECT, the will exchange, DISCONNECT, PINGREQ, will updates
  void on_connect(const std::string& from, const Connect& c, Clock::time_point now, Actions& out);
  // Another client id spoke from `client`'s address.
  void address_taken(Client& client, Actions& out);
  void on_willtopic(Client& client, const WillTopic& w, Clock::time_point now, Actions& out);
  void on_willmsg(Client& client, const WillMsg& w, Clock::time_point now, Actions& out);
  void finish_connect(Client& client, Clock::time_point now, Actions& out);
  void on_disconnect(Client& client, const Disconnect& d, Clock::time_point now, Actions& out);
  void on_pingreq(const std::string& from, const Pingreq& p, Client* client, Clock::time_point now,
                  Actions& out);
  void wake(Client& client, const std::string& from, Clock::time_point now, Actions& out);
  void on_willtopicupd(Client& client, const WillTopicUpd& w, Actions& out);
  void on_willmsgupd(Client& client, const WillMsgUpd& w, Actions& out);

  // publish.cpp: PUBLISH both ways, its acknowledgements, REGISTER both ways
  void on_publish(Client& client, const Publish& p, Actions& out);
  void on_publish_minus_one(const std::string& from, const Publish& p, Actions& out);
  void on_pubrel(Client& client, const Pubrel& p, Actions& out);
  void on_puback(Client& client, const Puback& p, Clock::time_point now, Actions& out);
  void on_pubrec(Client& client, const Pubrec& p, Clock::time_point now, Actions& out);
  void on_pubcomp(Client& client, const Pubcomp& p, Clock::time_point now, Actions& out);
  void on_register(Client& client, const Register& r, Actions& out);
  void on_regack(Client& client, const Regack& r, Clock::time_point now, Actions& out);
  // The topic name a client's PUBLISH refers to; nullptr when unknown.
  const std::string* inbound_topic(const Client* client, TopicIdType type, uint16_t id,
                                   std::string& short_name) const;
  void put_on_bus(const std::string& topic, const Publish& p, const std::string& client_id,
                  Actions& out);
  void enqueue(Client& client, Outbound item);
  // Sends what the client may receive now: REGISTER first where needed.
  void pump(Client& client, Clock::time_point now, Actions& out);
  // The message still unacknowledged when a client comes back (reconnect or
  // wake-up) goes out again at once with DUP set and a fresh retry count.
  void resend_pending(Client& client, Clock::time_point now, Actions& out);
  // The client does not know the topic id of a PUBLISH in flight (it
  // reconnected, or answered "invalid topic id"): REGISTER the name again,
  // then resend the same PUBLISH (6.5, 6.7).
  void register_again(Client& client, Publish pub, Clock::time_point now, Actions& out);

  // subscribe.cpp
  void on_subscribe(Client& client, const Subscribe& s, Actions& out);
  void on_unsubscribe(Client& client, const Unsubscribe& u, Actions& out);

  // lifecycle (gateway_core.cpp)
  Client& create(const std::string& client_id);
  void set_state(Client& client, ClientState state);
  void map_address(Client& client, const std::string& address);
  void unmap_address(Client& client);
  // The client vanished: its will goes out, then end_connection.
  void lose(Client& client, std::string_view reason, Actions& out);
  // Ends the connection: offline, then the session is dropped (clean) or kept.
  void end_connection(Client& client, Actions& out);
  void remove(Client& client, Actions& out);
  void retry(Client& client, Clock::time_point now, Actions& out);
  void send(const Client& client, Message msg, Actions& out);
  void send_to(const std::string& address, Message msg, Actions& out);

  GatewayOptions options_;
  GatewayCounters& counters_;
  DeviceDirectory* directory_;
  PredefinedTopics predefined_;

  uint64_t last_session_ = 0;
  std::unordered_map<uint64_t, std::unique_ptr<Client>> clients_;  // by session
  std::unordered_map<std::string, uint64_t> by_client_id_;
  std::unordered_map<std::string, uint64_t> by_address_;
  std::optional<Clock::time_point> next_advertise_;
};

}  // namespace trellis::mqttsn
