#include "core/message.hpp"

namespace trellis {

std::string_view origin_name(Origin o) {
  switch (o) {
    case Origin::mqtt:
      return "mqtt";
    case Origin::mqttsn:
      return "mqttsn";
    case Origin::lwm2m:
      return "lwm2m";
    case Origin::http:
      return "http";
    case Origin::internal:
      return "internal";
  }
  return "internal";
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::size_t queued_size(const Message& m) {
  return sizeof(Message) + m.topic.size() + m.client_id.size() + m.body().size() + 512;
}

MessagePtr make_message(std::string topic, std::string payload, uint8_t qos, bool retain,
                        Origin origin, std::string client_id) {
  auto m = std::make_shared<Message>();
  m->topic = std::move(topic);
  m->payload = make_payload(std::move(payload));
  m->qos = qos;
  m->retain = retain;
  m->origin = origin;
  m->client_id = std::move(client_id);
  m->time_ms = now_ms();
  return m;
}

}  // namespace trellis
