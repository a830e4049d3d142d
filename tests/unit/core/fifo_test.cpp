#include "core/fifo.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <random>

namespace trellis {
namespace {

TEST(Fifo, KeepsOrderAcrossCompactions) {
  Fifo<int> q;
  int next_in = 0, next_out = 0;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 37; ++i) q.push_back(next_in++);
    for (int i = 0; i < 29; ++i) {
      ASSERT_EQ(q.front(), next_out++);
      q.pop_front();
    }
  }
  EXPECT_EQ(q.size(), static_cast<std::size_t>(next_in - next_out));
  int expect = next_out;
  for (int v : q) EXPECT_EQ(v, expect++);
}

TEST(Fifo, MatchesADequeUnderRandomUse) {
  std::mt19937 rng(7);
  Fifo<int> q;
  std::deque<int> ref;
  for (int step = 0; step < 100000; ++step) {
    if (ref.empty() || rng() % 3 != 0) {
      q.push_back(step);
      ref.push_back(step);
    } else {
      ASSERT_EQ(q.front(), ref.front());
      q.pop_front();
      ref.pop_front();
    }
    ASSERT_EQ(q.size(), ref.size());
    ASSERT_EQ(q.empty(), ref.empty());
  }
  EXPECT_TRUE(std::equal(q.begin(), q.end(), ref.begin(), ref.end()));
}

TEST(Fifo, PopReleasesTheElementAtOnce) {
  Fifo<std::shared_ptr<int>> q;
  auto held = std::make_shared<int>(1);
  q.push_back(held);
  q.push_back(std::make_shared<int>(2));
  q.pop_front();
  EXPECT_EQ(held.use_count(), 1);  // the queue no longer keeps the payload alive
  EXPECT_EQ(*q.front(), 2);
}

}  // namespace
}  // namespace trellis
