#pragma once
// The broker-side state of one MQTT client id: its subscriptions, messages
// waiting to go out, messages in flight, and inbound QoS 2 packet ids. A
// session outlives its connection when clean session is 0.
//
// Threads: deliver() runs on publishers' threads; everything else on the
// strand of the connection attached at the time. One mutex guards the state.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/auth.hpp"
#include "core/bus.hpp"
#include "core/fifo.hpp"
#include "core/metrics.hpp"

namespace trellis::mqtt {

struct SessionLimits {
  uint16_t max_inflight = 32;
  // Messages waiting beyond the inflight window. While the client is away
  // this is the whole queue; while it is connected, free window slots add to it.
  std::size_t max_queued = 1000;
};

// One PUBLISH (or PUBREL) the connection should write.
struct Outgoing {
  MessagePtr msg;  // null for a PUBREL resend
  uint8_t qos = 0;
  bool retain = false;  // set only for retained messages sent on subscribe
  bool dup = false;
  uint16_t packet_id = 0;
};

// A session's messages in motion, as persistence saves and restores them
// (MQTT 3.1.1 3.1.2.4: the session state outlives the connection).
struct SessionTraffic {
  // Sent and not yet acknowledged, in send order, with their packet ids. A
  // null msg is a QoS 2 message whose PUBREC came: only the PUBREL is left.
  std::vector<Outgoing> inflight;
  std::vector<Outgoing> queued;        // not sent yet: no packet id
  std::vector<uint16_t> inbound_qos2;  // QoS 2 ids received (PUBREC sent), not yet released
};

// What the session reports to the broker's counters.
struct SessionCounters {
  Counter* dropped = nullptr;  // messages dropped for a full queue
  // Bumped by every change a persistent session would save, so an autosave
  // with nothing new to save is skipped.
  std::atomic<uint64_t>* changes = nullptr;
};

// The connection attached to a session. An interface rather than a callback
// so that attaching allocates nothing: idle connections are most connections.
class SessionOwner {
 public:
  // Called from any thread when the session has something to send.
  virtual void wake() = 0;

 protected:
  ~SessionOwner() = default;
};

class Session final : public Subscriber, public std::enable_shared_from_this<Session> {
 public:
  Session(std::string client_id, bool clean, SessionLimits limits, SessionCounters counters);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const std::string& client_id() const { return client_id_; }
  bool clean() const { return clean_; }

  // Bus delivery from any thread: queue, then wake the connection.
  void deliver(const MessagePtr& msg, uint8_t qos) override;
  // A retained message for a new subscription (sent with RETAIN set).
  void deliver_retained(const MessagePtr& msg, uint8_t qos);

  // Attaches a connection: its wake() will be called whenever there is
  // something to send. Returns what must be resent first, in order:
  // unacknowledged PUBLISHes with DUP set and PUBRELs awaiting PUBCOMP.
  std::vector<Outgoing> attach(const std::shared_ptr<SessionOwner>& owner,
                               std::shared_ptr<const Principal> principal);
  // Detaches only if `owner` is still the attached connection: after a
  // takeover the old connection's late detach must not unhook the new one.
  void detach(const SessionOwner* owner);

  // Moves queued messages into flight as the window allows and returns them
  // for writing; assigns packet ids. At most `limit` messages. Nothing for a
  // connection that is no longer attached (taken over): what it took would
  // be in flight on a dead socket and missed by the new connection's resend.
  std::vector<Outgoing> take_sendable(const SessionOwner* owner, std::size_t limit);
  bool has_sendable() const;

  // Outbound acknowledgements; false for an unknown packet id.
  bool on_puback(uint16_t packet_id);
  bool on_pubrec(uint16_t packet_id);
  bool on_pubcomp(uint16_t packet_id);

  // Inbound QoS 2: true the first time a packet id is seen (deliver it), false
  // for a retransmission (acknowledge, do not deliver again).
  bool begin_inbound_qos2(uint16_t packet_id);
  void release_inbound_qos2(uint16_t packet_id);
  bool inbound_qos2_pending(uint16_t packet_id) const;
  std::vector<uint16_t> inbound_qos2() const;  // ascending

  // Subscriptions as the client made them, for persistence and inspection.
  void set_subscription(const std::string& filter, uint8_t qos);
  bool remove_subscription(const std::string& filter);
  std::map<std::string, uint8_t> subscriptions() const;

  std::size_t queued() const;
  std::size_t subscription_count() const;
  std::size_t inflight() const;
  // Persistence hooks. snapshot_traffic() copies what is in motion; dup is
  // never set in it. restore_inflight() runs before any connection attaches:
  // the next attach resends those messages with DUP set, or their PUBREL,
  // and new packet ids avoid theirs. Queued messages come back by deliver().
  SessionTraffic snapshot_traffic() const;
  void restore_inflight(const std::vector<Outgoing>& inflight,
                        const std::vector<uint16_t>& inbound_qos2);

 private:
  enum class Stage : uint8_t { wait_puback, wait_pubrec, wait_pubcomp };
  struct InFlight {
    Outgoing out;
    Stage stage;
  };
  // Messages and packet ids in motion. Made on the first message: most
  // sessions belong to idle devices, and this is most of a session's size.
  struct Traffic {
    Fifo<Outgoing> queue;
    std::vector<InFlight> inflight;  // in send order, for in-order resend; at most max_inflight
    std::set<uint16_t> inbound_qos2;
  };
  void enqueue(const MessagePtr& msg, uint8_t qos, bool retain);
  uint16_t next_packet_id();
  Traffic& traffic();
  void changed();  // under mu_: counts a change a save would see

  const std::string client_id_;
  const bool clean_;
  const SessionLimits limits_;
  const SessionCounters counters_;

  mutable std::mutex mu_;
  std::shared_ptr<const Principal> principal_;  // of the last attached connection
  const SessionOwner* owner_ = nullptr;         // null while no connection is attached
  std::weak_ptr<SessionOwner> wake_;
  bool wake_pending_ = false;
  uint16_t last_packet_id_ = 0;
  std::unique_ptr<Traffic> traffic_;
  // Sorted by filter; a vector because devices hold one or two.
  std::vector<std::pair<std::string, uint8_t>> subscriptions_;
};

}  // namespace trellis::mqtt
