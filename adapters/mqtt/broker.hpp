#pragma once
// The MQTT broker: owns the sessions by client id, decides connects
// (authentication, takeover), and keeps the broker-wide counters that $SYS and
// /metrics report. Connections call it from their strands; it is thread-safe.
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "adapters/mqtt/readiness.hpp"
#include "adapters/mqtt/session.hpp"
#include "adapters/mqtt/transport.hpp"
#include "core/auth.hpp"
#include "core/bus.hpp"
#include "core/clients.hpp"
#include "core/metrics.hpp"

namespace trellis::mqtt {

class Connection;

struct BrokerOptions {
  std::size_t max_packet_size = 1 << 20;
  uint16_t max_inflight = 32;
  std::size_t max_queued_messages = 1000;
  bool allow_anonymous = true;
  SharedAcl anonymous_acl = Acl::allow_all();
  std::chrono::seconds connect_timeout{10};
  std::size_t max_connections = 0;  // 0: unlimited
};

// Broker-wide counters, created once in the Metrics registry.
struct BrokerCounters {
  explicit BrokerCounters(Metrics& m);
  Counter& bytes_received;
  Counter& bytes_sent;
  Counter& messages_received;  // every control packet
  Counter& messages_sent;
  Counter& publish_received;
  Counter& publish_sent;
  Counter& publish_bytes_received;  // PUBLISH payload bytes
  Counter& publish_bytes_sent;
  Counter& publish_dropped;
  Counter& publish_denied;
  Counter& connections_total;
  Counter& auth_failures;
  Counter& protocol_errors;
  Counter& reads_paused;
  Gauge& clients_connected;
  Gauge& clients_maximum;
  Gauge& sessions;  // connected plus persistent sessions kept while away
  Gauge& inflight;
  Gauge& connected_tcp;
  Gauge& connected_tls;
  Gauge& connected_ws;
  Gauge& connected_wss;
  Gauge& connected_for(const char* kind);
};

using trellis::ClientInfo;

// Told of clients coming and going (presence, registry).
struct ClientEvents {
  // Returns whether the connection counts toward a device's presence; only a
  // connection that counts is told to `disconnected` when it goes. Asked again,
  // on the connection's strand, when a device named by its client id is
  // registered while it is connected (Broker::device_registered).
  std::function<bool(const ClientInfo&, const Principal&)> connected;
  std::function<void(const std::string& client_id, const Principal&)> disconnected;
};

class Broker final : public ClientSource {
 public:
  // Plain TCP connections are woken on `io`'s threads.
  Broker(boost::asio::io_context& io, Bus& bus, Metrics& metrics, BrokerOptions options,
         Authenticator* auth = nullptr);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // Takes a freshly accepted transport and runs an MQTT connection on it.
  // `executor` is the connection's strand.
  void accept(std::unique_ptr<Transport> transport, Strand executor);
  // The same for a plain TCP socket, given as a non-blocking descriptor.
  void accept(int fd, Strand executor);

  // Closes every connection (wills of abruptly closed clients still go out).
  void stop();

  std::vector<ClientInfo> clients() const override;
  // Closes a client's connection as if it had vanished. False if not connected.
  bool disconnect(const std::string& client_id) override;
  // A device of this id was just registered: the client connected under that
  // client id, if it does not count toward a device yet, is asked about again.
  void device_registered(const std::string& client_id);

  void set_events(ClientEvents events) { events_ = std::move(events); }

  // Persistent sessions (clean session 0) as they stand, saved every
  // mqtt.autosave_interval and at shutdown, from any thread:
  // subscriptions, the QoS 1/2 messages sent and not yet acknowledged with
  // their packet ids, those still queued, and the inbound QoS 2 packet ids not
  // yet released (MQTT 3.1.1 3.1.2.4).
  struct SessionSnapshot {
    std::string client_id;
    std::map<std::string, uint8_t> subscriptions;
    // In send order; resent with DUP set (or as PUBREL, for a null msg) when
    // the client comes back (4.4).
    std::vector<Outgoing> inflight;
    std::vector<MessagePtr> queued;  // qos of each message is the delivery QoS
    std::vector<uint16_t> inbound_qos2;
  };
  std::vector<SessionSnapshot> snapshot_sessions() const;
  // Grows with every change to what snapshot_sessions() would return.
  uint64_t session_changes() const { return session_changes_.load(std::memory_order_relaxed); }
  // Recreates a persistent session at start-up, before listeners open.
  void restore_session(const SessionSnapshot& snapshot);

  const BrokerOptions& options() const { return options_; }
  Bus& bus() { return bus_; }
  BrokerCounters& counters() { return counters_; }
  std::size_t session_count() const;
  // Outbound QoS 1/2 messages awaiting acknowledgement, over every session.
  std::size_t inflight_count() const;
  // Subscriptions held by MQTT sessions (connected or kept while away); the
  // bus also carries the adapters' own, which $SYS does not report.
  std::size_t subscription_count() const;
  // Messages waiting in session queues, over every session.
  std::size_t queued_count() const;
  std::size_t connection_count() const;

  // --- used by Connection ---
  AuthOutcome authenticate(const ConnectCredentials& creds);
  // The principal as connections and sessions hold it: anonymous clients
  // with the same ACL, most clients in many fleets, share one.
  std::shared_ptr<const Principal> share(Principal principal);
  struct Opened {
    std::shared_ptr<Session> session;
    bool present = false;
  };
  Opened open_session(const std::string& client_id, bool clean,
                      const std::shared_ptr<Connection>& conn);
  // Detaches a closing connection; a clean session goes with it unless
  // another connection has taken the client id over.
  void close_session(const std::shared_ptr<Session>& session, const Connection* conn);
  void connection_closed(const Connection* conn);
  const ClientEvents& events() const { return events_; }
  Readiness& readiness() { return readiness_; }

 private:
  void adopt(const std::shared_ptr<Connection>& conn, const char* kind);

  struct Entry {
    std::shared_ptr<Session> session;
    std::weak_ptr<Connection> connection;
  };

  Bus& bus_;
  BrokerCounters counters_;
  std::atomic<uint64_t> session_changes_{0};
  BrokerOptions options_;
  Authenticator* auth_;
  ClientEvents events_;

  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> sessions_;
  // Every live connection, also those that have not sent CONNECT yet.
  std::unordered_map<const Connection*, std::weak_ptr<Connection>> connections_;
  bool stopped_ = false;
  std::shared_ptr<const Principal> anonymous_;
  // Last: destroyed first, releasing connections still watched.
  Readiness readiness_;
};

}  // namespace trellis::mqtt
