#pragma once
// The gateway's record of one MQTT-SN client (one client id): where it is, its
// state in the client state diagram (6.14, figure 4), its will, topic ids,
// subscriptions, the messages waiting for it, and the one message the gateway
// waits to have acknowledged (6.13: one at a time, supervised by Tretry/Nretry).
//
// Plain data, owned by GatewayCore and touched only on the gateway's strand.
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "adapters/mqttsn/codec.hpp"
#include "adapters/mqttsn/topic_registry.hpp"
#include "core/message.hpp"

namespace trellis::mqttsn {

using Clock = std::chrono::steady_clock;

enum class ClientState : uint8_t {
  connecting,    // CONNECT received, will exchange under way, no CONNACK yet
  active,        // connected, supervised by the keepalive timer
  asleep,        // DISCONNECT with a duration: messages are buffered
  awake,         // asleep, but sent PINGREQ: buffered messages are being delivered
  disconnected,  // DISCONNECT or lost, persistent session kept (clean session 0)
};

std::string_view state_name(ClientState state);

struct Will {
  std::string topic;  // empty: no will
  std::string message;
  uint8_t qos = 0;
  bool retain = false;
};

// A bus message waiting to be sent to the client.
struct Outbound {
  MessagePtr msg;
  uint8_t qos = 0;
  bool retain = false;  // a retained message sent for a new subscription
};

// What the gateway has sent and waits to have acknowledged.
struct Pending {
  enum class Kind : uint8_t {
    reg,      // REGISTER, waits for REGACK
    publish,  // PUBLISH QoS 1 waits for PUBACK, QoS 2 for PUBREC
    pubrel,   // PUBREL, waits for PUBCOMP
  };
  Kind kind = Kind::publish;
  Message message;  // as sent; PUBLISH is resent with DUP set
  uint16_t msg_id = 0;
  Clock::time_point sent_at{};
  unsigned retries = 0;
  // reg only: a PUBLISH whose topic id the client lost, resent as it was once
  // this REGISTER is acknowledged (6.7).
  std::optional<Publish> then_publish{};
  // publish only: resent after such a REGISTER; refused again, it is dropped.
  bool registered_again = false;
};

// The will exchange during CONNECT (6.3): which prompt was sent last.
enum class WillStage : uint8_t { none, topic, message };

struct Client {
  Client(uint64_t session, std::string client_id, std::size_t max_topics)
      : session(session), client_id(std::move(client_id)), topics(max_topics) {}

  uint64_t session;  // unique for the gateway's lifetime; names the bus subscriber
  std::string client_id;
  std::string address;                   // "ip:port"; empty while disconnected
  std::optional<std::string> device_id;  // as the registry admitted it
  bool online = false;                   // told to the registry
  ClientState state = ClientState::connecting;
  bool clean = true;
  uint16_t keepalive = 0;       // seconds; 0 = not supervised
  uint16_t sleep_duration = 0;  // seconds, from DISCONNECT
  Clock::time_point last_rx{};  // keepalive and sleep timers run from here
  int64_t connected_at_ms = 0;

  Will will;
  WillStage will_stage = WillStage::none;
  Clock::time_point will_prompt_at{};
  unsigned will_retries = 0;

  TopicRegistry topics;
  std::map<std::string, uint8_t> subscriptions;  // bus filter -> granted QoS
  std::deque<Outbound> queue;
  std::optional<Pending> pending;
  std::set<uint16_t> inbound_qos2;  // PUBLISH QoS 2 msg ids awaiting PUBREL
  uint16_t last_msg_id = 0;
  std::size_t wake_budget = 0;  // messages left to deliver before PINGRESP (awake)

  bool connected() const {
    return state == ClientState::active || state == ClientState::asleep ||
           state == ClientState::awake;
  }
  uint16_t next_msg_id() {
    last_msg_id = static_cast<uint16_t>(last_msg_id + 1);
    if (last_msg_id == 0) last_msg_id = 1;
    return last_msg_id;
  }
};

}  // namespace trellis::mqttsn
