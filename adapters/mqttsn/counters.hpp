#pragma once
// The gateway's counters and gauges, created once in the Metrics registry and
// updated with relaxed atomics from the gateway's strand.
#include "core/metrics.hpp"

namespace trellis::mqttsn {

struct GatewayCounters {
  explicit GatewayCounters(Metrics& m);
  Counter& datagrams_received;  // decoded or not
  Counter& datagrams_sent;
  Counter& bytes_received;
  Counter& bytes_sent;
  Counter& publish_received;   // PUBLISH from clients put on the bus
  Counter& publish_sent;       // PUBLISH to clients, first transmissions
  Counter& connections_total;  // CONNACK accepted
  Counter& auth_failures;      // CONNECT refused by the registry
  Counter& retransmissions;
  Counter& clients_lost;  // keepalive, sleep or retries lapsed; REST disconnect
  Counter& wills_published;
  // Dropped, by reason.
  Counter& dropped_malformed;       // decode failed
  Counter& dropped_unexpected;      // not for a gateway, unknown sender, unsupported
  Counter& dropped_invalid_topic;   // unknown topic id (answered 0x02 where possible)
  Counter& dropped_buffer_full;     // a client's buffer overflowed
  Counter& dropped_offline;         // QoS 0 for a disconnected client
  Counter& dropped_too_large;       // does not fit in a datagram
  Counter& dropped_send_failed;     // the socket refused a datagram
  Counter& dropped_not_registered;  // QoS -1 from no admitted client (require_registered)
  Gauge& clients_connected;         // active, asleep or awake
  Gauge& clients_asleep;
  Gauge& connections;  // trellis_connections{protocol="mqttsn",transport="udp"}
};

}  // namespace trellis::mqttsn
