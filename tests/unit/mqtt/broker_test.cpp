// What the broker saves of its persistent sessions at shutdown and brings back
// at start-up (3.1.2.4), without sockets: a restored session snapshots as it
// was saved, in-flight packet ids, queue and inbound QoS 2 ids included.
#include "adapters/mqtt/broker.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <string>
#include <vector>

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

}  // namespace
}  // namespace trellis::mqtt
