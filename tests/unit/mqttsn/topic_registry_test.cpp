// The per-client topic-id registry and the predefined topic table (MQTT-SN
// 1.2, 6.5 to 6.7).
#include <gtest/gtest.h>

#include "adapters/mqttsn/topic_registry.hpp"

namespace trellis::mqttsn {
namespace {

TEST(TopicRegistry, AssignsIdsFromOneAndKeepsThemPerName) {
  TopicRegistry r(10);
  EXPECT_EQ(r.assign("a/b"), 1);
  EXPECT_EQ(r.assign("c/d"), 2);
  EXPECT_EQ(r.assign("a/b"), 1);  // same name, same id
  EXPECT_EQ(r.size(), 2u);
  ASSERT_NE(r.name(2), nullptr);
  EXPECT_EQ(*r.name(2), "c/d");
  EXPECT_EQ(r.name(3), nullptr);
  EXPECT_EQ(r.find("c/d"), 2);
  EXPECT_EQ(r.find("x"), std::nullopt);
}

TEST(TopicRegistry, FullRegistryAssignsNothingNew) {
  TopicRegistry r(2);
  EXPECT_TRUE(r.assign("a"));
  EXPECT_TRUE(r.assign("b"));
  EXPECT_EQ(r.assign("c"), std::nullopt);
  EXPECT_EQ(r.assign("a"), 1);  // existing names still resolve
}

TEST(TopicRegistry, KnownFlagIsPerIdAndForgottenOnReconnect) {
  TopicRegistry r(10);
  auto a = *r.assign("a");
  auto b = *r.assign("b");
  EXPECT_FALSE(r.known(a));
  r.set_known(a, true);
  r.set_known(b, true);
  EXPECT_TRUE(r.known(a));
  r.set_known(b, false);
  EXPECT_FALSE(r.known(b));
  r.forget_known();
  EXPECT_FALSE(r.known(a));
  EXPECT_EQ(r.find("a"), a);  // the ids themselves stay
}

TEST(TopicRegistry, ClearStartsAgainFromOne) {
  TopicRegistry r(10);
  r.assign("a");
  r.assign("b");
  r.clear();
  EXPECT_EQ(r.size(), 0u);
  EXPECT_EQ(r.assign("z"), 1);
}

TEST(PredefinedTopics, MapsBothWays) {
  PredefinedTopics p({{1, "sensors/temp"}, {0x1234, "actuators/valve"}});
  ASSERT_NE(p.name(0x1234), nullptr);
  EXPECT_EQ(*p.name(0x1234), "actuators/valve");
  EXPECT_EQ(p.name(2), nullptr);
  EXPECT_EQ(p.id("sensors/temp"), 1);
  EXPECT_EQ(p.id("nope"), std::nullopt);
}

}  // namespace
}  // namespace trellis::mqttsn
