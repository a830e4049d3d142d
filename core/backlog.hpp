#pragma once
// Work accepted into memory but not yet done (telemetry waiting to be parsed
// and written, device acks waiting to be handled), kept bounded by pushing
// back on whoever adds to it.
//
// Once the backlog passes its limit it stays full until it has drained to half
// of it, so the clients paused by a full backlog resume together and the
// writer still finds whole batches queued. add() tells the thread that added
// to a full backlog (see pushed_back_by): a bus consumer adds in deliver(),
// which runs on the publisher's thread, so the publisher learns that its own
// message went to a full backlog without knowing who consumed it.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace trellis {

class Backlog {
 public:
  explicit Backlog(std::size_t limit);
  Backlog(const Backlog&) = delete;
  Backlog& operator=(const Backlog&) = delete;

  // Any thread. Adding to a full backlog, or filling it, marks this thread's
  // current pushed_back_by() scope.
  void add(std::size_t n);
  // Any thread. Draining to half the limit runs the waiting on_drained()
  // callbacks, here, on this thread.
  void remove(std::size_t n);
  // Runs `resume` once the backlog is no longer full: at once (on this
  // thread) when it is not, else from the remove() that drains it.
  void on_drained(std::function<void()> resume);

  // Runs `work` and returns the backlog that it added to while full, if any.
  template <typename Work>
  static Backlog* pushed_back_by(Work&& work) {
    Backlog* outer = pushed_back_here_;
    pushed_back_here_ = nullptr;
    work();
    Backlog* pushed = pushed_back_here_;
    pushed_back_here_ = outer ? outer : pushed;
    return pushed;
  }

  std::size_t limit() const { return limit_; }
  std::size_t size() const;
  std::size_t peak() const;  // the largest size so far
  bool full() const;
  uint64_t times_full() const;  // how often it became full

 private:
  const std::size_t limit_;
  const std::size_t resume_at_;
  mutable std::mutex mu_;
  std::size_t size_ = 0;
  std::size_t peak_ = 0;
  bool full_ = false;
  uint64_t times_full_ = 0;
  std::vector<std::function<void()>> waiting_;

  static thread_local Backlog* pushed_back_here_;
};

}  // namespace trellis
