#include "core/backlog.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace trellis {
namespace {

TEST(Backlog, FullPastTheLimitUntilDrainedToHalf) {
  Backlog b(100);
  b.add(100);
  EXPECT_FALSE(b.full());
  b.add(1);
  EXPECT_TRUE(b.full());
  b.remove(50);  // 51 left: still above half
  EXPECT_TRUE(b.full());
  b.remove(1);
  EXPECT_FALSE(b.full());
  EXPECT_EQ(b.size(), 50u);
  EXPECT_EQ(b.peak(), 101u);
  EXPECT_EQ(b.times_full(), 1u);
}

TEST(Backlog, RemovingMoreThanItHoldsLeavesZero) {
  Backlog b(10);
  b.add(3);
  b.remove(5);
  EXPECT_EQ(b.size(), 0u);
}

TEST(Backlog, MarksOnlyTheScopeThatAddedWhileFull) {
  Backlog b(2);
  EXPECT_EQ(Backlog::pushed_back_by([&] { b.add(2); }), nullptr);
  EXPECT_EQ(Backlog::pushed_back_by([&] { b.add(1); }), &b);  // fills it
  EXPECT_EQ(Backlog::pushed_back_by([&] { b.add(1); }), &b);  // adds to it full
  EXPECT_EQ(Backlog::pushed_back_by([] {}), nullptr);         // added nothing
  b.remove(4);
  EXPECT_EQ(Backlog::pushed_back_by([&] { b.add(1); }), nullptr);
}

TEST(Backlog, AnInnerScopeMarksTheOuterOneToo) {
  Backlog b(0);
  Backlog* inner = nullptr;
  Backlog* outer =
      Backlog::pushed_back_by([&] { inner = Backlog::pushed_back_by([&] { b.add(2); }); });
  EXPECT_EQ(inner, &b);
  EXPECT_EQ(outer, &b);
}

TEST(Backlog, AddingOnAnotherThreadDoesNotMarkThisOne) {
  Backlog b(0);
  Backlog* here = Backlog::pushed_back_by([&] { std::thread([&] { b.add(5); }).join(); });
  EXPECT_TRUE(b.full());
  EXPECT_EQ(here, nullptr);
}

TEST(Backlog, DrainedCallbacksRunOnceWhenItDrains) {
  Backlog b(10);
  int resumed = 0;
  b.on_drained([&] { ++resumed; });  // not full: at once
  EXPECT_EQ(resumed, 1);
  b.add(20);
  b.on_drained([&] { ++resumed; });
  b.on_drained([&] { ++resumed; });
  b.remove(9);  // 11 left
  EXPECT_EQ(resumed, 1);
  b.remove(6);  // 5 left: half the limit
  EXPECT_EQ(resumed, 3);
  b.add(20);
  b.remove(20);
  EXPECT_EQ(resumed, 3);  // each callback ran once
}

TEST(Backlog, ACallbackMayWaitAgain) {
  Backlog b(4);
  int resumed = 0;
  std::function<void()> resume = [&] {
    ++resumed;
    b.add(10);  // full again at once
    if (resumed < 3) b.on_drained(resume);
  };
  b.add(10);
  b.on_drained(resume);
  for (int i = 0; i < 5; ++i) b.remove(10);
  EXPECT_EQ(resumed, 3);
}

TEST(Backlog, EveryWaiterResumesUnderConcurrentUse) {
  Backlog b(1000);
  std::atomic<int> registered{0}, resumed{0};
  constexpr int adders = 4, rounds = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < adders; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < rounds; ++i) {
        if (Backlog* full = Backlog::pushed_back_by([&] { b.add(1); })) {
          registered.fetch_add(1);
          full->on_drained([&] { resumed.fetch_add(1); });
        }
      }
    });
  }
  std::thread remover([&] {
    for (int left = adders * rounds; left > 0;) {
      std::size_t n = b.size();
      if (n == 0) {
        std::this_thread::yield();
        continue;
      }
      b.remove(n);
      left -= static_cast<int>(n);
    }
  });
  for (auto& t : threads) t.join();
  remover.join();
  EXPECT_EQ(b.size(), 0u);
  EXPECT_FALSE(b.full());
  // It drained, so every callback registered while full has run, once.
  EXPECT_GT(registered.load(), 0);
  EXPECT_EQ(resumed.load(), registered.load());
}

}  // namespace
}  // namespace trellis
