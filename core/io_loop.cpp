#include "core/io_loop.hpp"

namespace trellis {

void run_io(boost::asio::io_context& io, std::chrono::microseconds busy_poll) {
  if (busy_poll <= std::chrono::microseconds::zero()) {
    io.run();
    return;
  }
  using Clock = std::chrono::steady_clock;
  while (!io.stopped()) {
    auto idle_since = Clock::now();
    while (Clock::now() - idle_since < busy_poll) {
      // poll() also runs the reactor without blocking, so socket readiness
      // is picked up here too, not only handlers posted by other threads.
      if (io.poll() > 0) idle_since = Clock::now();
      if (io.stopped()) return;  // stopped, or out of work as run() would be
    }
    io.run_one();
  }
}

}  // namespace trellis
