// MQTT session state without sockets: queueing while away, the inflight
// window, acknowledgement flows, in-order resend after reattach (4.4), the
// queue bound, inbound QoS 2 packet ids (4.3.3), takeover ownership, and the
// state a restart saves and restores (3.1.2.4).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "adapters/mqtt/session.hpp"

namespace trellis::mqtt {
namespace {

struct CountingOwner final : SessionOwner {
  explicit CountingOwner(int& wakes) : wakes(wakes) {}
  void wake() override { ++wakes; }
  int& wakes;
};

struct Fixture : ::testing::Test {
  Counter dropped;
  int wakes = 0;
  std::shared_ptr<CountingOwner> owner_a = std::make_shared<CountingOwner>(wakes);
  std::shared_ptr<CountingOwner> owner_b = std::make_shared<CountingOwner>(wakes);
  const SessionOwner* conn_a = owner_a.get();
  const SessionOwner* conn_b = owner_b.get();

  std::shared_ptr<Session> make(uint16_t inflight = 3, std::size_t queued = 5, bool clean = false) {
    return std::make_shared<Session>("client", clean, SessionLimits{inflight, queued},
                                     SessionCounters{&dropped});
  }
  std::vector<Outgoing> attach(Session& s, const SessionOwner* owner) {
    return s.attach(owner == conn_a ? owner_a : owner_b, std::make_shared<const Principal>());
  }
  static MessagePtr msg(const std::string& payload, uint8_t qos = 1) {
    return make_message("t/" + payload, payload, qos);
  }
  static std::vector<std::string> payloads(const std::vector<Outgoing>& out) {
    std::vector<std::string> v;
    for (const auto& o : out) v.push_back(o.msg ? std::string(o.msg->body()) : "PUBREL");
    return v;
  }
};

TEST_F(Fixture, QoS0DroppedAndCountedWhileAway) {
  auto s = make();
  s->deliver(msg("a", 0), 0);
  EXPECT_EQ(s->queued(), 0u);
  EXPECT_EQ(dropped.value(), 1u);
}

TEST_F(Fixture, QoS1And2QueuedWhileAwayUpToTheBound) {
  auto s = make(3, 5);
  for (int i = 0; i < 8; ++i) s->deliver(msg(std::to_string(i), 1 + i % 2), 1 + i % 2);
  EXPECT_EQ(s->queued(), 5u);
  EXPECT_EQ(dropped.value(), 3u);
  EXPECT_TRUE(attach(*s, conn_a).empty());
  // The window (3) lets the oldest through first.
  auto out = s->take_sendable(conn_a, 100);
  EXPECT_EQ(payloads(out), (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(s->inflight(), 3u);
}

TEST_F(Fixture, ConnectedClientQueueBoundCountsFreeWindowSlots) {
  auto s = make(3, 2);
  attach(*s, conn_a);
  for (int i = 0; i < 6; ++i) s->deliver(msg(std::to_string(i)), 1);
  // Two queued beyond the three free inflight slots.
  EXPECT_EQ(s->queued(), 5u);
  EXPECT_EQ(dropped.value(), 1u);
}

TEST_F(Fixture, WakesOncePerBurstUntilTaken) {
  auto s = make(10, 10);
  attach(*s, conn_a);
  s->deliver(msg("a"), 1);
  s->deliver(msg("b"), 1);
  EXPECT_EQ(wakes, 1);
  s->take_sendable(conn_a, 100);
  s->deliver(msg("c"), 1);
  EXPECT_EQ(wakes, 2);
}

TEST_F(Fixture, PacketIdsAreNonZeroAndDistinctInFlight) {
  auto s = make(3, 10);
  attach(*s, conn_a);
  for (int i = 0; i < 3; ++i) s->deliver(msg(std::to_string(i)), 1);
  auto out = s->take_sendable(conn_a, 100);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_NE(out[0].packet_id, 0);
  EXPECT_NE(out[0].packet_id, out[1].packet_id);
  EXPECT_NE(out[1].packet_id, out[2].packet_id);
}

TEST_F(Fixture, AckOpensOneWindowSlot) {
  auto s = make(2, 10);
  attach(*s, conn_a);
  for (int i = 0; i < 4; ++i) s->deliver(msg(std::to_string(i)), 1);
  auto first = s->take_sendable(conn_a, 100);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_TRUE(s->take_sendable(conn_a, 100).empty());
  EXPECT_TRUE(s->on_puback(first[0].packet_id));
  EXPECT_FALSE(s->on_puback(first[0].packet_id));  // already acknowledged
  EXPECT_EQ(payloads(s->take_sendable(conn_a, 100)), (std::vector<std::string>{"2"}));
}

TEST_F(Fixture, QoS0IsNotHeldByTheWindow) {
  auto s = make(1, 10);
  attach(*s, conn_a);
  s->deliver(msg("q0a", 0), 0);
  s->deliver(msg("q1", 1), 1);
  s->deliver(msg("q0b", 0), 0);
  auto out = s->take_sendable(conn_a, 100);
  EXPECT_EQ(payloads(out), (std::vector<std::string>{"q0a", "q1", "q0b"}));
  EXPECT_EQ(out[0].packet_id, 0);
  EXPECT_EQ(s->inflight(), 1u);
}

TEST_F(Fixture, QoS2FlowNeedsPubrecThenPubcomp) {
  auto s = make(3, 10);
  attach(*s, conn_a);
  s->deliver(msg("x", 2), 2);
  auto out = s->take_sendable(conn_a, 100);
  ASSERT_EQ(out.size(), 1u);
  uint16_t id = out[0].packet_id;
  EXPECT_FALSE(s->on_puback(id));   // wrong acknowledgement for QoS 2
  EXPECT_FALSE(s->on_pubcomp(id));  // PUBCOMP before PUBREC
  EXPECT_TRUE(s->on_pubrec(id));
  EXPECT_TRUE(s->on_pubcomp(id));
  EXPECT_EQ(s->inflight(), 0u);
}

TEST_F(Fixture, ReattachResendsInFlightInOrderWithDupAndPubrel) {
  // [MQTT-4.4.0-1]
  auto s = make(5, 10);
  attach(*s, conn_a);
  s->deliver(msg("a", 1), 1);
  s->deliver(msg("b", 2), 2);
  s->deliver(msg("c", 2), 2);
  s->deliver(msg("d", 1), 1);
  auto out = s->take_sendable(conn_a, 100);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_TRUE(s->on_pubrec(out[1].packet_id));
  s->detach(conn_a);
  auto resend = attach(*s, conn_b);
  EXPECT_EQ(payloads(resend), (std::vector<std::string>{"a", "PUBREL", "c", "d"}));
  for (std::size_t i = 0; i < resend.size(); ++i) {
    EXPECT_EQ(resend[i].packet_id, out[i].packet_id);
    EXPECT_EQ(resend[i].dup, resend[i].msg != nullptr);
  }
}

TEST_F(Fixture, TakenOverConnectionGetsNothingMore) {
  auto s = make(5, 10);
  attach(*s, conn_a);
  attach(*s, conn_b);  // takeover: the new connection attaches first
  s->deliver(msg("a"), 1);
  EXPECT_TRUE(s->take_sendable(conn_a, 100).empty());
  s->detach(conn_a);  // the old connection's late detach leaves the new one attached
  EXPECT_EQ(payloads(s->take_sendable(conn_b, 100)), (std::vector<std::string>{"a"}));
}

TEST_F(Fixture, InboundQoS2IdHeldUntilPubrel) {
  // [MQTT-4.3.3-2]
  auto s = make();
  EXPECT_TRUE(s->begin_inbound_qos2(7));
  EXPECT_FALSE(s->begin_inbound_qos2(7));
  s->release_inbound_qos2(7);
  EXPECT_TRUE(s->begin_inbound_qos2(7));
}

TEST_F(Fixture, SnapshotKeepsInFlightIdsStagesQueueAndInboundQoS2) {
  // 3.1.2.4: the session state includes all of these.
  auto s = make(3, 10);
  attach(*s, conn_a);
  s->deliver(msg("a", 1), 1);
  s->deliver(msg("b", 2), 2);
  s->deliver(msg("c", 2), 2);
  s->deliver(msg("d", 1), 1);  // beyond the window: stays queued
  auto out = s->take_sendable(conn_a, 100);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(s->on_pubrec(out[2].packet_id));
  EXPECT_TRUE(s->begin_inbound_qos2(9));
  EXPECT_TRUE(s->begin_inbound_qos2(5));
  s->detach(conn_a);

  auto saved = s->snapshot_traffic();
  EXPECT_EQ(payloads(saved.inflight), (std::vector<std::string>{"a", "b", "PUBREL"}));
  for (std::size_t i = 0; i < saved.inflight.size(); ++i) {
    EXPECT_EQ(saved.inflight[i].packet_id, out[i].packet_id);
    EXPECT_EQ(saved.inflight[i].qos, out[i].qos);
    EXPECT_FALSE(saved.inflight[i].dup);
  }
  EXPECT_EQ(payloads(saved.queued), (std::vector<std::string>{"d"}));
  EXPECT_EQ(saved.queued[0].packet_id, 0);
  EXPECT_EQ(saved.inbound_qos2, (std::vector<uint16_t>{5, 9}));
}

TEST_F(Fixture, RestoredInFlightIsResentWithTheSameIdsAndNewIdsAvoidThem) {
  // [MQTT-4.4.0-1], [MQTT-3.3.1-1]
  auto s = make(5, 10);
  std::vector<Outgoing> inflight = {
      Outgoing{msg("a", 1), 1, false, false, 1}, Outgoing{msg("b", 2), 2, true, false, 2},
      Outgoing{nullptr, 2, false, false, 3},      // PUBREC came: PUBREL pending
      Outgoing{msg("x", 1), 1, false, false, 1},  // a second id 1 is not taken
      Outgoing{nullptr, 1, false, false, 4},      // no PUBREL for QoS 1
  };
  s->restore_inflight(inflight, {5});
  EXPECT_EQ(s->inflight(), 3u);
  s->deliver(msg("queued", 1), 1);

  auto resend = attach(*s, conn_a);
  EXPECT_EQ(payloads(resend), (std::vector<std::string>{"a", "b", "PUBREL"}));
  ASSERT_EQ(resend.size(), 3u);
  EXPECT_EQ(resend[0].packet_id, 1);
  EXPECT_TRUE(resend[0].dup);
  EXPECT_EQ(resend[1].packet_id, 2);
  EXPECT_TRUE(resend[1].dup);
  EXPECT_TRUE(resend[1].retain);
  EXPECT_EQ(resend[2].packet_id, 3);

  auto fresh = s->take_sendable(conn_a, 100);
  ASSERT_EQ(payloads(fresh), (std::vector<std::string>{"queued"}));
  EXPECT_FALSE(fresh[0].dup);
  EXPECT_GT(fresh[0].packet_id, 3);  // new ids carry on after the restored ones

  // The restored flows finish as live ones do.
  EXPECT_TRUE(s->on_puback(1));
  EXPECT_FALSE(s->on_pubcomp(2));
  EXPECT_TRUE(s->on_pubrec(2));
  EXPECT_TRUE(s->on_pubcomp(2));
  EXPECT_TRUE(s->on_pubcomp(3));
  // The inbound QoS 2 id is still held: a resent PUBLISH is not delivered again.
  EXPECT_FALSE(s->begin_inbound_qos2(5));
  s->release_inbound_qos2(5);
  EXPECT_TRUE(s->begin_inbound_qos2(5));
}

TEST_F(Fixture, TakeLimitBoundsOneBatch) {
  auto s = make(100, 100);
  attach(*s, conn_a);
  for (int i = 0; i < 10; ++i) s->deliver(msg(std::to_string(i), 0), 0);
  EXPECT_EQ(s->take_sendable(conn_a, 4).size(), 4u);
  EXPECT_EQ(s->queued(), 6u);
}

TEST_F(Fixture, RetainedDeliveryKeepsTheRetainFlag) {
  auto s = make();
  attach(*s, conn_a);
  s->deliver_retained(make_message("r", "v", 1, true), 1);
  s->deliver(make_message("r", "v", 1, true), 1);
  auto out = s->take_sendable(conn_a, 100);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].retain);
  EXPECT_FALSE(out[1].retain);  // [MQTT-3.3.1-9]
}

}  // namespace
}  // namespace trellis::mqtt
