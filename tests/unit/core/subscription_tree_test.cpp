// The subscription tree against a naive matcher over random topics and filters.
#include "core/subscription_tree.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "core/bus.hpp"
#include "core/topic.hpp"

using namespace trellis;

namespace {

struct Dummy : Subscriber {
  void deliver(const MessagePtr&, uint8_t) override {}
};

std::map<Subscriber*, uint8_t> as_map(const std::vector<Match>& v) {
  std::map<Subscriber*, uint8_t> m;
  for (const auto& x : v) {
    EXPECT_EQ(m.count(x.subscriber), 0u) << "subscriber matched twice";
    m[x.subscriber] = x.qos;
  }
  return m;
}

}  // namespace

TEST(SubscriptionTree, OverlappingFiltersDeliverOnceAtHighestQos) {
  SubscriptionTree tree;
  Dummy a, b;
  tree.insert("a/+", &a, 0);
  tree.insert("a/#", &a, 2);
  tree.insert("a/b", &a, 1);
  tree.insert("a/b", &b, 1);
  std::vector<Match> out;
  tree.match("a/b", out);
  auto m = as_map(out);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[&a], 2);
  EXPECT_EQ(m[&b], 1);
}

TEST(SubscriptionTree, InsertReplacesQosAndEraseRemoves) {
  SubscriptionTree tree;
  Dummy a;
  EXPECT_TRUE(tree.insert("x/y", &a, 0));
  EXPECT_FALSE(tree.insert("x/y", &a, 2));
  EXPECT_EQ(tree.size(), 1u);
  std::vector<Match> out;
  tree.match("x/y", out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].qos, 2);
  EXPECT_TRUE(tree.erase("x/y", &a));
  EXPECT_FALSE(tree.erase("x/y", &a));
  EXPECT_EQ(tree.size(), 0u);
  out.clear();
  tree.match("x/y", out);
  EXPECT_TRUE(out.empty());
}

TEST(SubscriptionTree, LeadingWildcardsSkipDollarTopics) {
  SubscriptionTree tree;
  Dummy all, plus, sys;
  tree.insert("#", &all, 0);
  tree.insert("+/broker/uptime", &plus, 0);
  tree.insert("$SYS/#", &sys, 0);
  std::vector<Match> out;
  tree.match("$SYS/broker/uptime", out);
  auto m = as_map(out);
  EXPECT_EQ(m.size(), 1u);
  EXPECT_EQ(m.count(&sys), 1u);
}

// Thousands of random topics and filters: the tree must agree with
// topic::matches on every pair, including the per-subscriber highest QoS.
TEST(SubscriptionTree, AgreesWithNaiveMatcherOnRandomInput) {
  std::mt19937 rng(20261123);
  const std::vector<std::string> words = {"a", "b", "c", "$SYS", "", "dev", "x y"};
  auto random_topic = [&] {
    std::string t;
    int levels = 1 + static_cast<int>(rng() % 5);
    for (int i = 0; i < levels; ++i) {
      if (i) t += '/';
      const auto& w = words[rng() % words.size()];
      if (w == "$SYS" && i != 0) continue;
      t += w;
    }
    return t.empty() ? std::string("a") : t;
  };
  auto random_filter = [&] {
    std::string f;
    int levels = 1 + static_cast<int>(rng() % 5);
    for (int i = 0; i < levels; ++i) {
      if (i) f += '/';
      unsigned r = rng() % 10;
      if (r == 0 && i == levels - 1) {
        f += '#';
      } else if (r < 3) {
        f += '+';
      } else {
        f += words[rng() % words.size()];
      }
    }
    return f.empty() ? std::string("a") : f;
  };

  std::vector<Dummy> subs(50);
  std::vector<std::tuple<std::string, Subscriber*, uint8_t>> filters;
  SubscriptionTree tree;
  for (int i = 0; i < 3000; ++i) {
    auto f = random_filter();
    ASSERT_TRUE(topic::validate_filter(f).ok()) << f;
    Subscriber* s = &subs[rng() % subs.size()];
    uint8_t q = static_cast<uint8_t>(rng() % 3);
    tree.insert(f, s, q);
    // Keep the naive list in step with insert's replace semantics.
    bool replaced = false;
    for (auto& [ff, ss, qq] : filters) {
      if (ff == f && ss == s) {
        qq = q;
        replaced = true;
      }
    }
    if (!replaced) filters.emplace_back(f, s, q);
  }
  // Remove a third of them again.
  for (std::size_t i = 0; i < filters.size(); i += 3) {
    auto& [f, s, q] = filters[i];
    ASSERT_TRUE(tree.erase(f, s));
    s = nullptr;
  }
  EXPECT_EQ(tree.size(), filters.size() - (filters.size() + 2) / 3);

  for (int i = 0; i < 5000; ++i) {
    auto t = random_topic();
    ASSERT_TRUE(topic::validate_name(t).ok()) << t;
    std::map<Subscriber*, uint8_t> expected;
    for (const auto& [f, s, q] : filters) {
      if (s && topic::matches(f, t)) {
        auto [it, inserted] = expected.emplace(s, q);
        if (!inserted) it->second = std::max(it->second, q);
      }
    }
    std::vector<Match> out;
    tree.match(t, out);
    EXPECT_EQ(as_map(out), expected) << "topic " << t;
  }
}
