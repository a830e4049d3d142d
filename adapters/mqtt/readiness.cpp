#include "adapters/mqtt/readiness.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace trellis::mqtt {

namespace {

constexpr uint32_t watched_events = EPOLLIN | EPOLLOUT | EPOLLET;
constexpr int events_per_wait = 256;

int make_epoll() {
  int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) throw std::runtime_error(std::string("readiness: ") + std::strerror(errno));
  return fd;
}

}  // namespace

Readiness::Readiness(boost::asio::io_context& io) : epoll_fd_(make_epoll()), watch_(io, epoll_fd_) {
  wait();
}

Readiness::~Readiness() {
  boost::system::error_code ec;
  watch_.close(ec);
  // Waiters still registered (their io_context stopped before they closed)
  // are released here, outside the lock.
  std::vector<std::shared_ptr<ReadinessWaiter>> left;
  std::lock_guard lock(mu_);
  left.swap(waiters_);
}

bool Readiness::add(int fd, std::shared_ptr<ReadinessWaiter> waiter) {
  {
    std::lock_guard lock(mu_);
    if (static_cast<std::size_t>(fd) >= waiters_.size()) waiters_.resize(fd + 1);
    waiters_[fd] = std::move(waiter);
  }
  epoll_event ev{};
  ev.events = watched_events;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0) return true;
  int err = errno;
  forget(fd);
  errno = err;
  return false;
}

void Readiness::close(int fd) {
  forget(fd);
  ::close(fd);
}

void Readiness::forget(int fd) {
  std::shared_ptr<ReadinessWaiter> gone;  // may be the last reference: released unlocked
  std::lock_guard lock(mu_);
  if (static_cast<std::size_t>(fd) < waiters_.size()) gone.swap(waiters_[fd]);
}

void Readiness::wait() {
  watch_.async_wait(boost::asio::posix::descriptor_base::wait_read,
                    [this](boost::system::error_code ec) {
                      if (ec) return;  // closed: `this` may be gone
                      wake_ready();
                      wait();
                      // Not for correctness (queueing the wait re-arms with
                      // EPOLL_CTL_MOD, which reports a set that is already
                      // ready): under load it takes what came during the
                      // first pass without another trip through Asio's
                      // reactor, which measured cheaper per message.
                      wake_ready();
                    });
}

void Readiness::wake_ready() {
  epoll_event events[events_per_wait];
  // The list's capacity is kept per thread: this runs on every wake-up.
  // Taken, not borrowed, in case a waiter's handler ever wakes again here.
  thread_local std::vector<std::shared_ptr<ReadinessWaiter>> spare;
  std::vector<std::shared_ptr<ReadinessWaiter>> ready = std::move(spare);
  for (;;) {
    int n = ::epoll_wait(epoll_fd_, events, events_per_wait, 0);
    if (n <= 0) break;
    {
      // A socket closed after epoll_wait returned is simply not found; one
      // whose number was reused meanwhile gets a spurious wake-up, which
      // costs it one read that would block.
      std::lock_guard lock(mu_);
      for (int i = 0; i < n; ++i) {
        auto fd = static_cast<std::size_t>(events[i].data.fd);
        if (fd < waiters_.size() && waiters_[fd]) ready.push_back(waiters_[fd]);
      }
    }
    for (auto& w : ready) w->on_ready();
    ready.clear();
    if (n < events_per_wait) break;
  }
  spare = std::move(ready);
}

}  // namespace trellis::mqtt
