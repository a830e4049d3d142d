#include "adapters/mqttsn/counters.hpp"

namespace trellis::mqttsn {

namespace {
Counter& c(Metrics& m, const char* name, const char* help) {
  return m.counter(name, help);
}
Counter& dropped(Metrics& m, const char* reason) {
  return m.counter("trellis_mqttsn_dropped_total", "MQTT-SN datagrams or messages dropped",
                   std::string("reason=\"") + reason + "\"");
}
}  // namespace

GatewayCounters::GatewayCounters(Metrics& m)
    : datagrams_received(
          c(m, "trellis_mqttsn_datagrams_received_total", "MQTT-SN datagrams received")),
      datagrams_sent(c(m, "trellis_mqttsn_datagrams_sent_total", "MQTT-SN datagrams sent")),
      bytes_received(c(m, "trellis_mqttsn_bytes_received_total", "MQTT-SN bytes received")),
      bytes_sent(c(m, "trellis_mqttsn_bytes_sent_total", "MQTT-SN bytes sent")),
      publish_received(c(m, "trellis_mqttsn_publish_received_total",
                         "PUBLISH messages from MQTT-SN clients put on the bus")),
      publish_sent(c(m, "trellis_mqttsn_publish_sent_total",
                     "PUBLISH messages sent to MQTT-SN clients (first transmissions)")),
      connections_total(c(m, "trellis_mqttsn_connections_total", "MQTT-SN connections accepted")),
      auth_failures(
          c(m, "trellis_mqttsn_auth_failures_total", "MQTT-SN CONNECTs refused by the registry")),
      retransmissions(c(m, "trellis_mqttsn_retransmissions_total",
                        "messages sent again to MQTT-SN clients after Tretry")),
      clients_lost(c(m, "trellis_mqttsn_clients_lost_total",
                     "MQTT-SN clients lost (keepalive, sleep or retries lapsed)")),
      wills_published(
          c(m, "trellis_mqttsn_wills_published_total", "wills of lost MQTT-SN clients published")),
      dropped_malformed(dropped(m, "malformed")),
      dropped_unexpected(dropped(m, "unexpected")),
      dropped_invalid_topic(dropped(m, "invalid_topic")),
      dropped_buffer_full(dropped(m, "buffer_full")),
      dropped_offline(dropped(m, "offline")),
      dropped_too_large(dropped(m, "too_large")),
      dropped_send_failed(dropped(m, "send_failed")),
      dropped_not_registered(dropped(m, "not_registered")),
      clients_connected(m.gauge("trellis_mqttsn_clients_connected",
                                "MQTT-SN clients connected (active, asleep or awake)")),
      clients_asleep(m.gauge("trellis_mqttsn_clients_asleep", "MQTT-SN clients asleep")),
      connections(m.gauge("trellis_connections", "open connections per protocol and transport",
                          "protocol=\"mqttsn\",transport=\"udp\"")) {}

}  // namespace trellis::mqttsn
