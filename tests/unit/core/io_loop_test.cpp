#include "core/io_loop.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <future>
#include <thread>

namespace trellis {
namespace {

namespace asio = boost::asio;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Runs run_io on a thread of its own; finished() says whether it returned.
class Loop {
 public:
  Loop(asio::io_context& io, microseconds busy_poll)
      : io_(io),
        done_(std::async(std::launch::async, [&io, busy_poll] { run_io(io, busy_poll); })) {}
  ~Loop() {
    io_.stop();  // a failed test must not leave the loop running
    done_.wait();
  }
  bool finished(std::chrono::steady_clock::duration within = seconds(10)) {
    return done_.wait_for(within) == std::future_status::ready;
  }

 private:
  asio::io_context& io_;
  std::future<void> done_;
};

class RunIo : public ::testing::TestWithParam<int> {
 protected:
  microseconds busy_poll() const { return microseconds(GetParam()); }
};

TEST_P(RunIo, ReturnsWhenTheWorkRunsOut) {
  asio::io_context io;
  int ran = 0;
  for (int i = 0; i < 3; ++i) asio::post(io, [&] { ++ran; });
  // A handler that leaves work behind, due after the 2 ms window: the loop
  // must sleep until it, not return.
  asio::steady_timer timer(io);
  asio::post(io, [&] {
    timer.expires_after(milliseconds(5));
    timer.async_wait([&](boost::system::error_code) { ++ran; });
  });
  Loop loop(io, busy_poll());
  ASSERT_TRUE(loop.finished());
  EXPECT_EQ(ran, 4);
}

TEST_P(RunIo, RunsWorkPostedFromAnotherThreadWhetherPollingOrAsleep) {
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  Loop loop(io, busy_poll());
  // Posted at once (likely inside the poll window) and after a pause well
  // past the 2 ms window (likely once the loop has gone to sleep).
  for (auto pause : {milliseconds(0), milliseconds(50)}) {
    std::this_thread::sleep_for(pause);
    std::promise<std::thread::id> ran_on;
    auto ran = ran_on.get_future();
    asio::post(io, [&] { ran_on.set_value(std::this_thread::get_id()); });
    ASSERT_EQ(ran.wait_for(seconds(10)), std::future_status::ready);
    EXPECT_NE(ran.get(), std::this_thread::get_id());
  }
  EXPECT_FALSE(loop.finished(milliseconds(0))) << "returned while a work guard was held";
  guard.reset();
  EXPECT_TRUE(loop.finished());
}

TEST_P(RunIo, StopEndsItFromInsideAHandler) {
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  std::atomic<int> after_stop{0};
  asio::post(io, [&] {
    io.stop();
    asio::post(io, [&] { ++after_stop; });
  });
  Loop loop(io, busy_poll());
  ASSERT_TRUE(loop.finished());
  EXPECT_EQ(after_stop.load(), 0);
  EXPECT_TRUE(io.stopped());
}

// 0 is io_context::run itself; 2000 µs polls between handlers.
INSTANTIATE_TEST_SUITE_P(BusyPoll, RunIo, ::testing::Values(0, 2000),
                         [](const auto& info) { return "us" + std::to_string(info.param); });

}  // namespace
}  // namespace trellis
