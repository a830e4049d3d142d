#include "core/retained_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "core/topic.hpp"

using namespace trellis;

namespace {
std::vector<std::string> topics_for(const RetainedStore& store, std::string_view filter) {
  std::vector<MessagePtr> out;
  store.match(filter, out);
  std::vector<std::string> names;
  for (auto& m : out) names.push_back(m->topic);
  std::sort(names.begin(), names.end());
  return names;
}
}  // namespace

TEST(RetainedStore, SetReplaceAndClearWithEmptyPayload) {
  RetainedStore store;
  EXPECT_TRUE(store.put(make_message("a/b", "1", 0, true)));
  EXPECT_TRUE(store.put(make_message("a/b", "2", 0, true)));
  EXPECT_EQ(store.size(), 1u);
  std::vector<MessagePtr> out;
  store.match("a/b", out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]->body(), "2");
  EXPECT_TRUE(store.put(make_message("a/b", "", 0, true)));
  EXPECT_EQ(store.size(), 0u);
  EXPECT_FALSE(store.put(make_message("a/b", "", 0, true)));
  EXPECT_TRUE(topics_for(store, "#").empty());
}

TEST(RetainedStore, WildcardsMatchAndDollarTopicsNeedExplicitFilter) {
  RetainedStore store;
  for (auto t : {"a", "a/b", "a/b/c", "a/x/c", "$SYS/broker/uptime", "b"}) {
    store.put(make_message(t, "v", 0, true));
  }
  EXPECT_EQ(topics_for(store, "#"), (std::vector<std::string>{"a", "a/b", "a/b/c", "a/x/c", "b"}));
  EXPECT_EQ(topics_for(store, "a/#"), (std::vector<std::string>{"a", "a/b", "a/b/c", "a/x/c"}));
  EXPECT_EQ(topics_for(store, "a/+/c"), (std::vector<std::string>{"a/b/c", "a/x/c"}));
  EXPECT_EQ(topics_for(store, "+"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(topics_for(store, "$SYS/#"), (std::vector<std::string>{"$SYS/broker/uptime"}));
  EXPECT_EQ(topics_for(store, "+/broker/+"), (std::vector<std::string>{}));
}

TEST(RetainedStore, AgreesWithNaiveMatcherOnRandomInput) {
  std::mt19937 rng(7);
  const char* words[] = {"a", "b", "", "$x", "c"};
  RetainedStore store;
  std::vector<std::string> all;
  for (int i = 0; i < 500; ++i) {
    std::string t;
    int n = 1 + static_cast<int>(rng() % 4);
    for (int l = 0; l < n; ++l) {
      if (l) t += '/';
      t += words[rng() % 5];
    }
    if (t.empty()) continue;
    store.put(make_message(t, "v", 0, true));
    if (std::find(all.begin(), all.end(), t) == all.end()) all.push_back(t);
  }
  const char* filters[] = {"#", "+", "a/#", "+/+", "$x/#", "a/+/b", "+/#", "/#", "a//+"};
  for (auto f : filters) {
    std::vector<std::string> expected;
    for (auto& t : all) {
      if (topic::matches(f, t)) expected.push_back(t);
    }
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(topics_for(store, f), expected) << f;
  }
}
