#pragma once
// The single writer: one thread owns the only read-write connection and runs
// every write of the process in batches, each batch one transaction. Jobs run
// in the order they were queued, each inside its own savepoint so one failing
// job does not undo the others. Telemetry points ride the same queue and are
// handed to the point sink together at the end of each batch.
//
// A batch starts when a caller waits (call(), flush()), when batch_size points
// are queued, or flush_interval after the oldest queued item. Any thread may
// post; none may wait from inside a job (that is the writer thread itself).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include "core/result.hpp"
#include "db/errors.hpp"
#include "db/point.hpp"
#include "db/sqlite.hpp"

namespace trellis::db {

// Where the writer hands queued points, on the writer thread, inside the
// batch's transaction.
class PointSink {
 public:
  virtual ~PointSink() = default;
  // Returns the number of points stored; throws SqlError to roll them back.
  virtual std::size_t write(Connection& c, std::vector<std::vector<Point>>& batches) = 0;
  // The points (or the whole batch) were rolled back: drop anything cached from them.
  virtual void rolled_back() = 0;
};

class Writer {
 public:
  struct Options {
    std::size_t batch_size = 1000;  // points per transaction at most
    std::chrono::milliseconds flush_interval{200};
    // Items (jobs and per-message point lists) per transaction at most; a
    // fleet sends a few points per message, so this must not cap the points
    // of a batch well below batch_size.
    std::size_t max_jobs_per_batch = 20000;
  };
  struct Stats {
    uint64_t batches = 0;
    uint64_t jobs_failed = 0;
    uint64_t points_written = 0;
    uint64_t points_lost = 0;  // rolled back by a failed batch
    int64_t queued_items = 0;
    int64_t queued_points = 0;
  };

  // Starts the thread; `sink` may be null until points are posted.
  Writer(Connection conn, Options opts, PointSink* sink);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // The sink is read on the writer thread; set it before posting points.
  void set_point_sink(PointSink* sink) { sink_.store(sink); }

  // Queues a job; false once the writer is closed. A throwing job is counted
  // and logged, and its savepoint rolled back.
  bool post(std::function<void(Connection&)> job);
  bool post_points(std::vector<Point> points);

  // Runs fn(Connection&) -> Result<T> in the next batch and returns its result
  // once the batch committed. An error result rolls back fn's own writes.
  template <typename F>
  auto call(F&& fn) -> std::invoke_result_t<F&, Connection&>;

  // Returns once everything queued before the call is committed (or failed).
  Status flush();
  // Drains the queue, stops the thread; later posts are refused.
  void close();
  bool closed() const;

  Stats stats() const;

 private:
  struct Item {
    // False (or a throw) rolls back this item's savepoint.
    std::function<bool(Connection&)> work;
    // After the batch: the item's own error or the batch's, else nullptr.
    std::function<void(const Error*)> done;
    std::vector<Point> points;
    bool has_points = false;
  };

  bool enqueue(Item item, bool urgent);
  void run();
  void execute(std::vector<Item>& batch);
  bool on_writer_thread() const { return std::this_thread::get_id() == thread_id_; }

  Connection conn_;
  Options opts_;
  std::atomic<PointSink*> sink_;

  mutable std::mutex mu_;
  std::condition_variable wake_;       // the writer waits here
  std::condition_variable committed_;  // flush() and call() wait here
  std::deque<Item> queue_;
  std::size_t queued_points_ = 0;
  std::chrono::steady_clock::time_point oldest_;
  uint64_t enqueued_seq_ = 0;   // items ever queued
  uint64_t committed_seq_ = 0;  // items ever finished
  uint64_t urgent_seq_ = 0;     // write at once until committed_seq_ reaches this
  bool closing_ = false;

  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> jobs_failed_{0};
  std::atomic<uint64_t> points_written_{0};
  std::atomic<uint64_t> points_lost_{0};

  std::mutex join_mu_;
  std::thread::id thread_id_;
  std::thread thread_;
};

template <typename F>
auto Writer::call(F&& fn) -> std::invoke_result_t<F&, Connection&> {
  using R = std::invoke_result_t<F&, Connection&>;
  if (on_writer_thread()) {
    return R(error(errc::storage, "a writer job may not wait for the writer"));
  }
  struct State {
    std::optional<R> result;
    std::promise<void> ready;
  };
  auto state = std::make_shared<State>();
  auto ready = state->ready.get_future();
  Item item;
  item.work = [state, f = std::forward<F>(fn)](Connection& c) mutable {
    state->result.emplace(f(c));
    return state->result->ok();
  };
  item.done = [state](const Error* err) {
    if (err) state->result.emplace(*err);
    state->ready.set_value();
  };
  if (!enqueue(std::move(item), true)) return R(error(errc::unavailable, "database is closed"));
  ready.wait();
  return std::move(*state->result);
}

}  // namespace trellis::db
