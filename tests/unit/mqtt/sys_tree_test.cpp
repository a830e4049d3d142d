// $SYS/broker/ figures: when they first exist and how often they come again.
#include "adapters/mqtt/sys_tree.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "core/bus.hpp"
#include "core/metrics.hpp"

namespace trellis::mqtt {
namespace {

using namespace std::chrono_literals;

struct UptimeCounter final : Subscriber {
  std::atomic<int> copies{0};
  void deliver(const MessagePtr&, uint8_t) override { ++copies; }
};

class SysTreeTest : public ::testing::Test {
 protected:
  boost::asio::io_context io_;
  Bus bus_;
  Metrics metrics_;
  Broker broker_{io_, bus_, metrics_, BrokerOptions{}};

  std::string retained_body(const std::string& topic) {
    auto found = bus_.retained("$SYS/broker/" + topic);
    if (found.size() != 1) return "<" + std::to_string(found.size()) + " messages>";
    EXPECT_TRUE(found[0]->retain);
    return std::string(found[0]->body());
  }
};

// A client can subscribe as soon as the server's threads run; the retained
// copy must already be there, or its first copy would come live and late.
TEST_F(SysTreeTest, StartPublishesEveryFigureBeforeTheIoContextRuns) {
  SysTree sys(io_, broker_, 1s);
  sys.start();
  EXPECT_EQ(retained_body("uptime"), "0 seconds");
  EXPECT_EQ(retained_body("version"), std::string("trellis version ") + TRELLIS_VERSION);
  EXPECT_EQ(retained_body("clients/connected"), "0");
  EXPECT_EQ(retained_body("load/bytes/received/1min"), "0.00");
  // Mosquitto's list with clients/active and clients/inactive, heap figures aside.
  EXPECT_EQ(bus_.retained("$SYS/broker/#").size(), 53u);
}

TEST_F(SysTreeTest, IntervalZeroPublishesNothing) {
  SysTree sys(io_, broker_, 0s);
  sys.start();
  EXPECT_EQ(bus_.retained("$SYS/#").size(), 0u);
  EXPECT_EQ(io_.poll(), 0u);
}

TEST_F(SysTreeTest, RepublishesAfterEachIntervalUntilStopped) {
  auto counter = std::make_shared<UptimeCounter>();
  bus_.subscribe(counter, "$SYS/broker/uptime", 0);
  SysTree sys(io_, broker_, 1s);
  sys.start();
  EXPECT_EQ(counter->copies, 1);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (counter->copies < 2 && std::chrono::steady_clock::now() < deadline) io_.run_one_for(1s);
  EXPECT_EQ(counter->copies, 2);
  sys.stop();
  // The pending wait is cancelled: a further interval and a half brings nothing.
  io_.run_for(1500ms);
  EXPECT_EQ(counter->copies, 2);
}

}  // namespace
}  // namespace trellis::mqtt
