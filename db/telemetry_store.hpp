#pragma once
// Telemetry points: batched ingest through the database's single writer,
// range queries with cursor pagination, per-interval aggregates, the latest
// value of each key, and retention.
//
// Storage: `telemetry` is clustered by (series, ts, seq) so a range is one
// sequential read; `telemetry_rollup` keeps per-minute count/sum/min/max of
// numeric points so an aggregate reads one row per minute, not per point;
// `telemetry_latest` holds each series' newest point. `seq` is a global
// insertion counter that orders points with equal time stamps.
//
// Thread-safe. The series cache is touched only on the writer thread.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/backlog.hpp"
#include "core/result.hpp"
#include "db/point.hpp"
#include "db/writer.hpp"

namespace trellis::db {

class Database;

enum class Order { asc, desc };

struct TelemetryQuery {
  std::string device_id{};
  std::vector<std::string> keys{};                        // empty: every key
  int64_t from_ms = std::numeric_limits<int64_t>::min();  // inclusive
  int64_t to_ms = std::numeric_limits<int64_t>::max();    // inclusive
  std::size_t limit = 100;                                // at most max_points_per_page
  Order order = Order::asc;
  std::string cursor{};  // next_cursor of the previous page
};

struct PointPage {
  std::vector<Point> points{};  // by (ts, insertion order), as `order` says
  std::string next_cursor{};    // empty on the last page
};

struct AggregateQuery {
  std::string device_id{};
  std::vector<std::string> keys{};  // empty: every key
  int64_t from_ms = std::numeric_limits<int64_t>::min();
  int64_t to_ms = std::numeric_limits<int64_t>::max();
  int64_t interval_ms = 3'600'000;  // buckets start at multiples of it since the epoch
  std::size_t limit = 1000;         // buckets per key, at most max_buckets
  Order order = Order::asc;
};

// Numeric points of one interval; strings and booleans are not aggregated.
struct Bucket {
  int64_t start_ms = 0;
  int64_t count = 0;
  double sum = 0;
  double min = 0;
  double max = 0;
  double avg() const { return count ? sum / static_cast<double>(count) : 0; }
};

struct KeyAggregate {
  std::string key{};
  std::vector<Bucket> buckets{};  // only intervals that hold points
  bool more = false;              // buckets beyond `limit` exist; continue from the last one
};

inline constexpr std::size_t max_points_per_page = 10000;
inline constexpr std::size_t max_buckets = 10000;
// Rollup granularity: aggregates with an interval at least this long read the
// rollups, and raw points only for minutes cut by a range or bucket edge.
inline constexpr int64_t rollup_ms = 60'000;

class TelemetryStore final : public PointSink {
 public:
  explicit TelemetryStore(Database& db);
  ~TelemetryStore() override;

  // Queues points for the writer. False when closed. Points of a device that
  // does not exist are dropped when written (and counted).
  bool enqueue(std::vector<Point> points);
  // Returns once every point enqueued before it is committed.
  Status flush();
  // Stops retention, refuses new points and drains the queued ones.
  void close();

  // Errors: not_found (device), invalid_argument (cursor, range).
  Result<PointPage> query(const TelemetryQuery& q) const;
  Result<std::vector<KeyAggregate>> aggregate(const AggregateQuery& q) const;
  // The newest point of each key (all keys when `keys` is empty), by key.
  Result<std::vector<Point>> latest(std::string_view device_id,
                                    const std::vector<std::string>& keys = {}) const;
  // Points stored for a device (all devices when empty); for metrics and tests.
  Result<int64_t> count(std::string_view device_id = {}) const;

  // Deletes points older than cutoff_ms (rounded down to the minute so the
  // rollups stay exact) in small writer jobs, so ingest goes on meanwhile.
  // Returns how many points went.
  Result<uint64_t> purge_older_than(int64_t cutoff_ms, std::size_t batch = 5000);
  // Background purge of points older than `days`, checked every `every`.
  void start_retention(int days, std::chrono::milliseconds every = std::chrono::hours(1));
  void stop_retention();

  struct Stats {
    uint64_t enqueued = 0;
    uint64_t written = 0;
    uint64_t dropped = 0;  // unknown device, or refused after close
    uint64_t purged = 0;
  };
  Stats stats() const;

  // Bytes of points queued and not yet written, and of the messages the
  // recorder has yet to parse (it adds those): MQTT clients sending telemetry
  // pause while it is full, so a fleet sending faster than the disk writes
  // cannot fill memory.
  Backlog& backlog() { return backlog_; }

  // Writer thread only: the device's series are about to be deleted.
  void forget_device_series(const std::string& device_id);

  // PointSink, on the writer thread.
  std::size_t write(Connection& c, std::vector<std::vector<Point>>& batches) override;
  void rolled_back() override;

 private:
  int64_t series_id(Connection& c, const std::string& device_id, const std::string& key);
  Result<uint64_t> purge(int64_t cutoff_ms, std::size_t batch, const std::atomic<bool>* stop);

  Database& db_;
  std::atomic<bool> closed_{false};

  // Writer thread only.
  std::unordered_map<std::string, std::unordered_map<std::string, int64_t>> series_;
  int64_t next_seq_ = -1;  // loaded from `meta` on first use

  std::atomic<uint64_t> enqueued_{0};
  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> purged_{0};
  Backlog backlog_;

  std::mutex retention_mu_;
  std::condition_variable retention_cv_;
  bool retention_stop_ = false;
  std::atomic<bool> retention_stopping_{false};  // ends a purge under way
  std::thread retention_;
};

}  // namespace trellis::db
