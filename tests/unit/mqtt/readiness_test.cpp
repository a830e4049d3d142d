// Readiness against real sockets: edge-triggered wake-ups for reading and writing.
#include "adapters/mqtt/readiness.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

namespace trellis::mqtt {
namespace {

using namespace std::chrono_literals;

struct CountingWaiter final : ReadinessWaiter {
  std::atomic<int> wakes{0};
  void on_ready() override { ++wakes; }
};

class ReadinessTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0); }
  void TearDown() override {
    if (fds_[0] >= 0) ::close(fds_[0]);
    ::close(fds_[1]);
  }
  void close_watched() {
    readiness_.close(fds_[0]);
    fds_[0] = -1;
  }
  // Runs the io_context until `waiter` has woken `n` times in all, or 5 s pass.
  bool run_until(const CountingWaiter& waiter, int n) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (waiter.wakes < n && std::chrono::steady_clock::now() < deadline) {
      io_.run_one_for(50ms);
    }
    return waiter.wakes >= n;
  }
  void send_byte() { ASSERT_EQ(::write(fds_[1], "x", 1), 1); }

  boost::asio::io_context io_;
  Readiness readiness_{io_};
  int fds_[2];
};

TEST_F(ReadinessTest, WakesForDataThatArrivedBeforeAdd) {
  auto w = std::make_shared<CountingWaiter>();
  send_byte();
  ASSERT_TRUE(readiness_.add(fds_[0], w));
  EXPECT_TRUE(run_until(*w, 1));
  close_watched();
}

TEST_F(ReadinessTest, WakesOncePerArrivalNotWhileBytesSitUnread) {
  auto w = std::make_shared<CountingWaiter>();
  ASSERT_TRUE(readiness_.add(fds_[0], w));
  ASSERT_TRUE(run_until(*w, 1));  // the first wake-up reports the empty, writable socket
  send_byte();
  ASSERT_TRUE(run_until(*w, 2));
  io_.run_for(100ms);  // the byte is still unread: no new edge
  EXPECT_EQ(w->wakes, 2);
  send_byte();
  EXPECT_TRUE(run_until(*w, 3));
  close_watched();
}

TEST_F(ReadinessTest, WakesWhenAFullSocketCanBeWrittenAgain) {
  auto w = std::make_shared<CountingWaiter>();
  ASSERT_EQ(::fcntl(fds_[0], F_SETFL, O_NONBLOCK), 0);
  ASSERT_TRUE(readiness_.add(fds_[0], w));
  ASSERT_TRUE(run_until(*w, 1));
  char block[4096] = {};
  std::size_t filled = 0;
  while (::write(fds_[0], block, sizeof block) > 0) filled += sizeof block;
  ASSERT_EQ(errno, EAGAIN);
  io_.run_for(100ms);
  EXPECT_EQ(w->wakes, 1);
  for (std::size_t got = 0; got < filled;) {  // the peer reads everything
    auto n = ::read(fds_[1], block, sizeof block);
    ASSERT_GT(n, 0);
    got += std::size_t(n);
  }
  EXPECT_TRUE(run_until(*w, 2));
  close_watched();
}

TEST_F(ReadinessTest, WakesManySocketsFromOneWait) {
  constexpr int n = 300;  // more than one batch of events
  std::vector<std::array<int, 2>> pairs(n);
  std::vector<std::shared_ptr<CountingWaiter>> waiters;
  auto all = std::make_shared<CountingWaiter>();
  for (auto& p : pairs) {
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, p.data()), 0);
    waiters.push_back(std::make_shared<CountingWaiter>());
    ASSERT_TRUE(readiness_.add(p[0], waiters.back()));
    ASSERT_EQ(::write(p[1], "x", 1), 1);
  }
  auto deadline = std::chrono::steady_clock::now() + 5s;
  auto total = [&] {
    int sum = 0;
    for (auto& w : waiters) sum += w->wakes;
    return sum;
  };
  while (total() < n && std::chrono::steady_clock::now() < deadline) io_.run_one_for(50ms);
  EXPECT_EQ(total(), n);
  for (auto& p : pairs) {
    readiness_.close(p[0]);
    ::close(p[1]);
  }
}

TEST_F(ReadinessTest, CloseReleasesTheWaiterAndANewSocketWithItsNumberWakesOnlyItsOwn) {
  auto w = std::make_shared<CountingWaiter>();
  ASSERT_TRUE(readiness_.add(fds_[0], w));
  ASSERT_TRUE(run_until(*w, 1));
  EXPECT_EQ(w.use_count(), 2);
  const int number = fds_[0];
  close_watched();
  EXPECT_EQ(w.use_count(), 1);

  int next[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, next), 0);
  ASSERT_EQ(next[0], number);  // the lowest free number comes back
  auto w2 = std::make_shared<CountingWaiter>();
  ASSERT_TRUE(readiness_.add(next[0], w2));
  ASSERT_EQ(::write(next[1], "x", 1), 1);
  EXPECT_TRUE(run_until(*w2, 1));
  io_.run_for(100ms);
  EXPECT_EQ(w->wakes, 1);
  readiness_.close(next[0]);
  ::close(next[1]);
}

TEST_F(ReadinessTest, AddFailsForSomethingEpollCannotWatch) {
  auto w = std::make_shared<CountingWaiter>();
  int dir = ::open("/", O_RDONLY | O_DIRECTORY);  // regular files and directories: EPERM
  ASSERT_GE(dir, 0);
  EXPECT_FALSE(readiness_.add(dir, w));
  EXPECT_EQ(w.use_count(), 1);
  ::close(dir);
}

}  // namespace
}  // namespace trellis::mqtt
