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
// Wake-ups are edge-triggered, as in Asio: after one, the owner reads until
// the socket would block (a short read counts: later bytes bring a new edge),
// and a write that would block is resumed at the next wake-up. No system call
// re-arms the wait. A wake-up may also come while the owner is still busy
// with the previous one; it then only finds nothing to read.
//
// Threads: add and close may be called from any thread; wake-ups run
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

  // Watches `fd` for reading and writing; the first wake-up reports what is
  // already there. `waiter` is kept alive until close(fd). False (errno
  // set) if the socket cannot be watched; it is then left open.
  bool add(int fd, std::shared_ptr<ReadinessWaiter> waiter);
  // Releases the waiter, then closes `fd`. The kernel takes a socket out of
  // the epoll set when its last descriptor closes (these are never
  // duplicated), which saves a system call per connection; releasing first
  // means a new socket given the same number is never mistaken for this one.
  void close(int fd);

 private:
  void wait();
  void wake_ready();
  void forget(int fd);

  int epoll_fd_;
  boost::asio::posix::stream_descriptor watch_;  // owns epoll_fd_
  std::mutex mu_;
  std::vector<std::shared_ptr<ReadinessWaiter>> waiters_;  // indexed by fd
};

}  // namespace trellis::mqtt
