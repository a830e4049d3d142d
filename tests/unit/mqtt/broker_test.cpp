// What the broker saves of its persistent sessions at shutdown and brings back
// at start-up (3.1.2.4), without sockets: a restored session snapshots as it
// was saved, in-flight packet ids, queue and inbound QoS 2 ids included.
#include "adapters/mqtt/broker.hpp"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <optional>
#include <string>
#include <vector>

#include "adapters/mqtt/codec.hpp"
#include "core/bus.hpp"
#include "core/metrics.hpp"

namespace trellis::mqtt {
namespace {

class BrokerSnapshotTest : public ::testing::Test {
 protected:
  boost::asio::io_context io_;
  Bus bus_;
  Metrics metrics_;
  Broker broker_{io_, bus_, metrics_, BrokerOptions{}};
};

TEST_F(BrokerSnapshotTest, RestoredSessionSnapshotsAsSaved) {
  Broker::SessionSnapshot saved;
  saved.client_id = "keeper";
  saved.subscriptions = {{"plant/#", 2}};
  saved.inflight = {
      Outgoing{make_message("plant/a", "one", 1), 1, false, false, 7},
      Outgoing{make_message("plant/b", "two", 2), 2, true, false, 8},
      Outgoing{nullptr, 2, false, false, 9},  // PUBREC came: PUBREL pending
  };
  saved.queued = {make_message("plant/c", "three", 1)};
  saved.inbound_qos2 = {5, 12};
  broker_.restore_session(saved);
  EXPECT_EQ(broker_.inflight_count(), 3u);
  EXPECT_EQ(broker_.queued_count(), 1u);

  auto all = broker_.snapshot_sessions();
  ASSERT_EQ(all.size(), 1u);
  const auto& again = all[0];
  EXPECT_EQ(again.client_id, "keeper");
  EXPECT_EQ(again.subscriptions, saved.subscriptions);
  ASSERT_EQ(again.inflight.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(again.inflight[i].packet_id, saved.inflight[i].packet_id);
    EXPECT_EQ(again.inflight[i].qos, saved.inflight[i].qos);
    EXPECT_EQ(again.inflight[i].retain, saved.inflight[i].retain);
    EXPECT_EQ(again.inflight[i].msg, saved.inflight[i].msg);
    EXPECT_FALSE(again.inflight[i].dup);
  }
  // Not also saved as queued: it would come back as a new delivery, DUP 0.
  ASSERT_EQ(again.queued.size(), 1u);
  EXPECT_EQ(again.queued[0]->body(), "three");
  EXPECT_EQ(again.inbound_qos2, saved.inbound_qos2);
}

TEST_F(BrokerSnapshotTest, SessionChangesCountWhatASaveWouldSee) {
  // The autosave skips a save when this has not moved since the last one.
  const uint64_t start = broker_.session_changes();
  Broker::SessionSnapshot saved;
  saved.client_id = "away";
  saved.subscriptions = {{"plant/#", 1}};
  broker_.restore_session(saved);
  const uint64_t restored = broker_.session_changes();
  EXPECT_GT(restored, start);
  // QoS 0 is not kept for a client that is away: nothing to save.
  bus_.publish(make_message("plant/a", "zero", 0));
  EXPECT_EQ(broker_.session_changes(), restored);
  bus_.publish(make_message("plant/a", "one", 1));
  EXPECT_GT(broker_.session_changes(), restored);
  ASSERT_EQ(broker_.snapshot_sessions().at(0).queued.size(), 1u);
}

// Reads what the publisher's saved state holds at the moment a message
// reaches a subscriber.
class SavedStateAtDelivery final : public Subscriber {
 public:
  explicit SavedStateAtDelivery(const Broker& broker) : broker_(broker) {}
  void deliver(const MessagePtr&, uint8_t) override {
    for (const auto& s : broker_.snapshot_sessions()) {
      if (s.client_id == "pub") inbound_at_delivery = s.inbound_qos2;
    }
  }
  std::optional<std::vector<uint16_t>> inbound_at_delivery;

 private:
  const Broker& broker_;
};

TEST_F(BrokerSnapshotTest, AnInboundQoS2IdIsSavedOnlyWithItsMessage) {
  // The publisher's unreleased id must never be saved without the message
  // in its subscribers' sessions: after a crash the client's resend would be
  // taken for a duplicate of a message no one has.
  auto sub = std::make_shared<SavedStateAtDelivery>(broker_);
  bus_.subscribe(sub, "plant/#", 2);
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  broker_.accept(fds[0], boost::asio::make_strand(io_));
  Connect c;
  c.client_id = "pub";
  c.clean_session = false;
  const std::string bytes = encode(c) + encode(Publish{false, 2, false, "plant/a", 5, "one"});
  ASSERT_EQ(::write(fds[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  for (int i = 0; i < 1000 && !sub->inbound_at_delivery; ++i) {
    io_.run_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(sub->inbound_at_delivery);
  EXPECT_TRUE(sub->inbound_at_delivery->empty());
  // And from the PUBREC on, the id is held.
  std::string got;
  for (int i = 0; i < 1000 && got.size() < 8; ++i) {
    io_.run_for(std::chrono::milliseconds(5));
    char buf[64];
    ssize_t n = ::recv(fds[1], buf, sizeof buf, 0);
    if (n > 0) got.append(buf, static_cast<std::size_t>(n));
  }
  ASSERT_EQ(got.size(), 8u);
  EXPECT_EQ(got.substr(4), encode(Pubrec{5}));
  auto all = broker_.snapshot_sessions();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].inbound_qos2, std::vector<uint16_t>{5});
  ::close(fds[1]);
  broker_.stop();
  io_.run_for(std::chrono::milliseconds(50));
}

}  // namespace
}  // namespace trellis::mqtt
