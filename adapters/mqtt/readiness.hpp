#pragma once
// Tells the owners of plain TCP sockets when their socket can be read or
// written. The sockets sit in an epoll set of their own, and that set's
// descriptor is watched by the io_context like any other socket.
//
// Why not Asio's reactor for these sockets: there every socket holds a
// descriptor state (~170 bytes) and every waiting socket a pending read
// (~200 bytes), for as long as it waits. Most MQTT connections are idle,
// so that was most of an idle connection's memory; here a waiting socket
// costs only the kernel's epoll entry.
//
// Waits are one-shot: after a wake-up the owner reads and writes until the
// socket would block, then arms the wait again. Arming rechecks readiness,
// so data that arrived in between is never missed.
//
// Threads: add, arm and remove may be called from any thread; wake-ups run
// on the io_context's threads.
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <memory>
#include <mutex>
#include <vector>

namespace trellis::mqtt {

class ReadinessWaiter {
 public:
  // On an io_context thread, not on the owner's strand: hand the work over.
  virtual void on_ready() = 0;

 protected:
  ~ReadinessWaiter() = default;
};

class Readiness {
 public:
  explicit Readiness(boost::asio::io_context& io);
  ~Readiness();
  Readiness(const Readiness&) = delete;
  Readiness& operator=(const Readiness&) = delete;

  // Watches `fd`, armed for reading. `waiter` is kept alive until remove(fd).
  // False (errno set) if the socket cannot be watched.
  bool add(int fd, std::shared_ptr<ReadinessWaiter> waiter);
  // Arms the next wake-up: when the socket is readable, or also when it is
  // writable.
  void arm(int fd, bool writable);
  // Stops watching `fd`; call before closing it, so that a new socket given
  // the same number is never woken for this one.
  void remove(int fd);

 private:
  void wait();
  void wake_ready();

  int epoll_fd_;
  boost::asio::posix::stream_descriptor watch_;  // owns epoll_fd_
  std::mutex mu_;
  std::vector<std::shared_ptr<ReadinessWaiter>> waiters_;  // indexed by fd
};

}  // namespace trellis::mqtt
