#pragma once
// The one unit of traffic on the bus. Adapters build a Message from device
// traffic; the bus hands the same immutable Message to every subscriber.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace trellis {

// Payload bytes shared by every delivery of one message: subscribers get a
// handle, never a copy.
using Payload = std::shared_ptr<const std::string>;

inline Payload make_payload(std::string bytes) {
  return std::make_shared<const std::string>(std::move(bytes));
}

// Which adapter a message came from, so consumers can tell traffic apart
// (and so an adapter can recognise its own echoes).
enum class Origin : uint8_t { mqtt, mqttsn, lwm2m, http, internal };

std::string_view origin_name(Origin o);

struct Message {
  std::string topic;
  Payload payload;
  uint8_t qos = 0;
  bool retain = false;
  Origin origin = Origin::internal;
  std::string client_id;  // publisher's client id or device id; empty for internal
  int64_t time_ms = 0;    // wall-clock ms since epoch when it entered the bus

  std::string_view body() const {
    return payload ? std::string_view(*payload) : std::string_view();
  }
};

using MessagePtr = std::shared_ptr<const Message>;

int64_t now_ms();

// Roughly what a message waiting in a consumer's queue holds: the message, its
// strings, the payload and the queued handler (for Backlog accounting).
std::size_t queued_size(const Message& m);

MessagePtr make_message(std::string topic, std::string payload, uint8_t qos = 0,
                        bool retain = false, Origin origin = Origin::internal,
                        std::string client_id = {});

}  // namespace trellis
