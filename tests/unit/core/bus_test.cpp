#include "core/bus.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

using namespace trellis;

namespace {

struct Recorder : Subscriber {
  std::mutex mu;
  std::vector<std::pair<MessagePtr, uint8_t>> got;
  void deliver(const MessagePtr& m, uint8_t qos) override {
    std::lock_guard l(mu);
    got.emplace_back(m, qos);
  }
};

struct Counting : Subscriber {
  std::atomic<int> n{0};
  void deliver(const MessagePtr&, uint8_t) override { n.fetch_add(1); }
};

}  // namespace

TEST(Bus, DeliversSharedPayloadAtMinimumQos) {
  Bus bus;
  auto a = std::make_shared<Recorder>();
  auto b = std::make_shared<Recorder>();
  bus.subscribe(a, "t/#", 2);
  bus.subscribe(b, "t/+", 0);
  auto msg = make_message("t/1", "hello", 1);
  EXPECT_EQ(bus.publish(msg), 2u);
  ASSERT_EQ(a->got.size(), 1u);
  ASSERT_EQ(b->got.size(), 1u);
  EXPECT_EQ(a->got[0].second, 1);
  EXPECT_EQ(b->got[0].second, 0);
  // Same payload buffer for every subscriber: no copy per delivery.
  EXPECT_EQ(a->got[0].first->payload.get(), b->got[0].first->payload.get());
}

TEST(Bus, UnsubscribeAllReleasesSubscriber) {
  Bus bus;
  auto a = std::make_shared<Recorder>();
  std::weak_ptr<Recorder> weak = a;
  bus.subscribe(a, "x", 0);
  bus.subscribe(a, "y/#", 0);
  EXPECT_EQ(bus.subscription_count(), 2u);
  Subscriber* raw = a.get();
  a.reset();
  EXPECT_FALSE(weak.expired());  // the bus keeps it alive while subscribed
  bus.unsubscribe_all(raw);
  EXPECT_TRUE(weak.expired());
  EXPECT_EQ(bus.subscription_count(), 0u);
  EXPECT_EQ(bus.publish(make_message("x", "p")), 0u);
}

TEST(Bus, HasSubscribersFollowsTheFiltersThatMatch) {
  Bus bus;
  auto a = std::make_shared<Recorder>();
  EXPECT_FALSE(bus.has_subscribers("d/tasks/json"));
  bus.subscribe(a, "d/+/json", 1);
  EXPECT_TRUE(bus.has_subscribers("d/tasks/json"));
  EXPECT_FALSE(bus.has_subscribers("e/tasks/json"));
  bus.subscribe(a, "#", 0);
  EXPECT_FALSE(bus.has_subscribers("$events/x")) << "'#' does not match $-topics";
  EXPECT_TRUE(bus.has_subscribers("e/tasks/json"));
  EXPECT_FALSE(bus.has_subscribers("e/tasks/json", true)) << "'#' names no first level";
  EXPECT_TRUE(bus.has_subscribers("d/tasks/json", true));
  auto b = std::make_shared<Recorder>();
  bus.subscribe(b, "+/tasks/json", 1);
  EXPECT_FALSE(bus.has_subscribers("e/tasks/json", true));
  bus.subscribe(b, "e/#", 1);
  EXPECT_TRUE(bus.has_subscribers("e/tasks/json", true));
  bus.unsubscribe_all(a.get());
  bus.unsubscribe_all(b.get());
  EXPECT_FALSE(bus.has_subscribers("d/tasks/json"));
  EXPECT_TRUE(a->got.empty()) << "asking routes nothing";
}

TEST(Bus, SubscriptionListenerHearsEveryFilterOutsideTheLocks) {
  Bus bus;
  auto a = std::make_shared<Recorder>();
  bus.subscribe(a, "before", 0);  // no listener yet
  std::vector<std::pair<std::string, bool>> heard;
  bus.set_subscription_listener([&](std::string_view filter) {
    // Asking the bus from here would deadlock if the bus still held its lock.
    heard.emplace_back(filter, bus.has_subscribers("d/tasks/json"));
  });
  bus.subscribe(a, "d/tasks/json", 1);
  bus.subscribe(a, "d/tasks/json", 0);  // a QoS change is heard too
  bus.subscribe(a, "d/#", 1, [](const MessagePtr&) {});
  bus.set_subscription_listener({});
  bus.subscribe(a, "after", 0);
  const std::vector<std::pair<std::string, bool>> want = {
      {"d/tasks/json", true}, {"d/tasks/json", true}, {"d/#", true}};
  EXPECT_EQ(heard, want);
}

TEST(Bus, RetainedMessagesAreStoredAndListenerTold) {
  Bus bus;
  std::vector<std::string> told;
  bus.set_retained_listener(
      [&](const MessagePtr& m) { told.push_back(m->topic + "=" + std::string(m->body())); });
  bus.publish(make_message("r/1", "on", 1, true));
  bus.publish(make_message("r/2", "off", 0, true));
  bus.publish(make_message("r/3", "not retained", 0, false));
  EXPECT_EQ(bus.retained_count(), 2u);
  EXPECT_EQ(bus.retained("r/+").size(), 2u);
  bus.publish(make_message("r/1", "", 0, true));
  EXPECT_EQ(bus.retained_count(), 1u);
  EXPECT_EQ(told, (std::vector<std::string>{"r/1=on", "r/2=off", "r/1="}));
  bus.restore_retained(make_message("r/9", "x", 0, true));
  EXPECT_EQ(told.size(), 3u);
  EXPECT_EQ(bus.retained_count(), 2u);
}

// Publishers and subscribers on several threads at once: every message reaches
// every subscriber present for the whole run, and nothing crashes.
TEST(Bus, ConcurrentPublishAndSubscribe) {
  Bus bus;
  auto steady = std::make_shared<Counting>();
  bus.subscribe(steady, "load/#", 0);
  constexpr int publishers = 4, per_publisher = 20000;
  std::atomic<bool> stop{false};
  std::thread churn([&] {
    int i = 0;
    while (!stop.load()) {
      auto s = std::make_shared<Counting>();
      std::string f = "load/" + std::to_string(i++ % 50) + "/#";
      bus.subscribe(s, f, 1);
      bus.unsubscribe(s.get(), f);
    }
  });
  std::vector<std::thread> threads;
  for (int p = 0; p < publishers; ++p) {
    threads.emplace_back([&, p] {
      for (int i = 0; i < per_publisher; ++i) {
        bus.publish(make_message("load/" + std::to_string(i % 50) + "/" + std::to_string(p), "x"));
      }
    });
  }
  for (auto& t : threads) t.join();
  stop = true;
  churn.join();
  EXPECT_EQ(steady->n.load(), publishers * per_publisher);
}

// A retained message published while a subscription is being made reaches the
// new subscriber once, either with the subscription or live, and never ahead
// of an older one; and none is missed. Each round subscribes, waits for the
// publisher to finish two more, and unsubscribes.
TEST(Bus, RetainedPublishedWhileSubscribingArrivesOnceInOrderAndNoneIsMissed) {
  Bus bus;
  std::atomic<bool> stop{false};
  std::atomic<int> stored{0};  // the newest value whose publish has returned
  std::thread publisher([&] {
    for (int i = 1; !stop.load(); ++i) {
      bus.publish(make_message("r/t", std::to_string(i), 0, true));
      stored.store(i);
    }
  });
  using namespace std::chrono;
  const auto deadline = steady_clock::now() + seconds(20);
  while (stored.load() == 0 && steady_clock::now() < deadline) std::this_thread::yield();
  ASSERT_GT(stored.load(), 0);

  int rounds = 0, empty = 0, repeated = 0, older = 0, stale_first = 0, missed = 0;
  for (; rounds < 5000 && steady_clock::now() < deadline; ++rounds) {
    auto s = std::make_shared<Recorder>();
    const int before = stored.load();
    bus.subscribe(s, "r/#", 0, [&](const MessagePtr& m) { s->deliver(m, 0); });
    while (stored.load() < before + 2 && steady_clock::now() < deadline) std::this_thread::yield();
    const int newest = stored.load();
    bus.unsubscribe(s.get(), "r/#");  // waits for deliveries in progress
    if (s->got.empty()) {
      ++empty;
      continue;
    }
    int last = 0;
    for (const auto& [m, qos] : s->got) {
      int v = std::stoi(std::string(m->body()));
      if (v == last) ++repeated;
      if (v < last) ++older;
      last = v;
    }
    if (std::stoi(std::string(s->got.front().first->body())) < before) ++stale_first;
    if (last < newest) ++missed;
  }
  stop = true;
  publisher.join();
  EXPECT_GT(rounds, 100);
  EXPECT_EQ(empty, 0);
  EXPECT_EQ(repeated, 0);
  EXPECT_EQ(older, 0);
  EXPECT_EQ(stale_first, 0);
  EXPECT_EQ(missed, 0);
}
