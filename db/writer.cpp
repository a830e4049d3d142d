#include "db/writer.hpp"

#include "core/log.hpp"

namespace trellis::db {

Writer::Writer(Connection conn, Options opts, PointSink* sink)
    : conn_(std::move(conn)), opts_(opts), sink_(sink) {
  if (opts_.batch_size == 0) opts_.batch_size = 1;
  if (opts_.max_jobs_per_batch == 0) opts_.max_jobs_per_batch = 1;
  std::promise<void> started;
  auto started_future = started.get_future();
  thread_ = std::thread([this, &started] {
    thread_id_ = std::this_thread::get_id();
    started.set_value();
    run();
  });
  started_future.wait();
}

Writer::~Writer() {
  close();
}

bool Writer::enqueue(Item item, bool urgent) {
  std::lock_guard lk(mu_);
  if (closing_) return false;
  if (queue_.empty()) oldest_ = std::chrono::steady_clock::now();
  queued_points_ += item.points.size();
  queue_.push_back(std::move(item));
  ++enqueued_seq_;
  if (urgent) urgent_seq_ = enqueued_seq_;
  // Wake the writer only when it has a reason to start a batch now; otherwise
  // its timed wait for the oldest item picks the batch up.
  if (urgent || queue_.size() == 1 || queued_points_ >= opts_.batch_size ||
      queue_.size() >= opts_.max_jobs_per_batch) {
    wake_.notify_one();
  }
  return true;
}

bool Writer::post(std::function<void(Connection&)> job) {
  Item item;
  item.work = [job = std::move(job)](Connection& c) {
    job(c);
    return true;
  };
  return enqueue(std::move(item), false);
}

bool Writer::post_points(std::vector<Point> points) {
  if (points.empty()) return !closed();
  Item item;
  item.points = std::move(points);
  item.has_points = true;
  return enqueue(std::move(item), false);
}

Status Writer::flush() {
  if (on_writer_thread()) return error(errc::storage, "a writer job may not wait for the writer");
  std::unique_lock lk(mu_);
  uint64_t target = enqueued_seq_;
  if (committed_seq_ >= target) return Ok{};
  urgent_seq_ = std::max(urgent_seq_, target);
  wake_.notify_one();
  committed_.wait(lk, [&] { return committed_seq_ >= target; });
  return Ok{};
}

void Writer::close() {
  {
    std::lock_guard lk(mu_);
    closing_ = true;
    wake_.notify_one();
  }
  if (on_writer_thread()) return;
  std::lock_guard join_lk(join_mu_);
  if (thread_.joinable()) thread_.join();
}

bool Writer::closed() const {
  std::lock_guard lk(mu_);
  return closing_;
}

Writer::Stats Writer::stats() const {
  Stats s;
  s.batches = batches_.load();
  s.jobs_failed = jobs_failed_.load();
  s.points_written = points_written_.load();
  s.points_lost = points_lost_.load();
  std::lock_guard lk(mu_);
  s.queued_items = static_cast<int64_t>(queue_.size());
  s.queued_points = static_cast<int64_t>(queued_points_);
  return s;
}

void Writer::run() {
  std::unique_lock lk(mu_);
  while (true) {
    // Wait until a batch is due.
    while (true) {
      if (queue_.empty()) {
        if (closing_) return;
        wake_.wait(lk);
        continue;
      }
      if (closing_ || urgent_seq_ > committed_seq_ || queued_points_ >= opts_.batch_size ||
          queue_.size() >= opts_.max_jobs_per_batch) {
        break;
      }
      auto due = oldest_ + opts_.flush_interval;
      if (std::chrono::steady_clock::now() >= due) break;
      wake_.wait_until(lk, due);
    }

    std::vector<Item> batch;
    std::size_t points = 0;
    while (!queue_.empty() && batch.size() < opts_.max_jobs_per_batch &&
           points < opts_.batch_size) {
      points += queue_.front().points.size();
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    queued_points_ -= points;
    // Items left behind keep the old `oldest_`: they are due now too.
    lk.unlock();
    execute(batch);
    lk.lock();
    committed_seq_ += batch.size();
    committed_.notify_all();
  }
}

void Writer::execute(std::vector<Item>& batch) {
  std::vector<std::optional<Error>> item_errors(batch.size());
  std::optional<Error> batch_error;
  std::vector<std::vector<Point>> points;
  std::size_t point_count = 0;
  for (auto& item : batch) {
    if (item.has_points) {
      point_count += item.points.size();
      points.push_back(std::move(item.points));
    }
  }
  bool points_rolled_back = false;
  std::size_t written = 0;

  try {
    Transaction tx(conn_, Transaction::Kind::immediate);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      auto& item = batch[i];
      if (!item.work) continue;
      conn_.exec("SAVEPOINT job");
      bool ok = false;
      try {
        ok = item.work(conn_);
      } catch (const SqlError& e) {
        item_errors[i] = storage_error(e);
      } catch (const std::exception& e) {
        item_errors[i] = error(errc::storage, std::string("write failed: ") + e.what());
      }
      if (item_errors[i]) {
        jobs_failed_.fetch_add(1);
        TLOG(warn, "db") << "write job failed" << log::kv("error", item_errors[i]->message);
      }
      if (!ok) conn_.exec("ROLLBACK TO job");
      conn_.exec("RELEASE job");
    }
    if (point_count > 0) {
      PointSink* sink = sink_.load();
      conn_.exec("SAVEPOINT points");
      try {
        if (!sink) throw std::runtime_error("no telemetry sink");
        written = sink->write(conn_, points);
      } catch (const std::exception& e) {
        conn_.exec("ROLLBACK TO points");
        points_rolled_back = true;
        written = 0;
        TLOG(error, "db") << "telemetry batch rolled back" << log::kv("points", point_count)
                          << log::kv("error", e.what());
      }
      conn_.exec("RELEASE points");
    }
    tx.commit();
  } catch (const SqlError& e) {
    batch_error = storage_error(e);
    points_rolled_back = point_count > 0;
    written = 0;
    TLOG(error, "db") << "write batch rolled back" << log::kv("items", batch.size())
                      << log::kv("error", e.what());
  }

  if (points_rolled_back) {
    if (PointSink* sink = sink_.load()) sink->rolled_back();
    points_lost_.fetch_add(point_count);
  }
  points_written_.fetch_add(written);
  batches_.fetch_add(1);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!batch[i].done) continue;
    const Error* err = batch_error ? &*batch_error : (item_errors[i] ? &*item_errors[i] : nullptr);
    batch[i].done(err);
  }
}

}  // namespace trellis::db
