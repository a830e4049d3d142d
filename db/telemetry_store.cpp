#include "db/telemetry_store.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "core/log.hpp"
#include "core/message.hpp"
#include "db/cursor.hpp"
#include "db/database.hpp"
#include "db/errors.hpp"

namespace trellis::db {

namespace {

// "to" defaults to now, so name both values: the caller may not have sent it.
Error from_after_to(int64_t from, int64_t to) {
  return error(errc::invalid_argument,
               "from (" + std::to_string(from) + ") is after to (" + std::to_string(to) + ")");
}

// Roughly what queued points hold in memory: each Point, its strings' bytes
// and its share of the queue. Counted the same way when they join the backlog
// and when they leave it.
std::size_t footprint(const std::vector<Point>& points) {
  std::size_t n = 0;
  for (const auto& p : points) {
    n += sizeof(Point) + 16 + p.device_id.size() + p.key.size();
    if (const auto* s = std::get_if<std::string>(&p.value)) n += s->size();
  }
  return n;
}

enum Kind : int64_t { kind_number = 0, kind_string = 1, kind_bool = 2 };

// Query bounds are clamped here so bucket arithmetic cannot overflow.
constexpr int64_t time_limit = int64_t{1} << 62;

constexpr std::string_view cursor_tag = "points";

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

int64_t floor_to(int64_t t, int64_t step) {
  return floor_div(t, step) * step;
}

void bind_value(Statement& st, int first, const Value& v) {
  if (const auto* d = std::get_if<double>(&v)) {
    st.bind(first, int64_t{kind_number}).bind(first + 1, *d).bind(first + 2, nullptr);
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    st.bind(first, int64_t{kind_string}).bind(first + 1, nullptr).bind(first + 2, *s);
  } else {
    st.bind(first, int64_t{kind_bool})
        .bind(first + 1, std::get<bool>(v) ? 1.0 : 0.0)
        .bind(first + 2, nullptr);
  }
}

Value read_value(const Statement& st, int first) {
  switch (st.column_int(first)) {
    case kind_string:
      return st.column_text(first + 2);
    case kind_bool:
      return st.column_double(first + 1) != 0;
    default:
      return st.column_double(first + 1);
  }
}

bool device_exists(Connection& c, std::string_view id) {
  auto st = c.prepare("SELECT 1 FROM devices WHERE id = ?");
  st.bind(1, id);
  bool found = st.step();
  st.reset();
  return found;
}

Error device_not_found(std::string_view id) {
  return error(errc::not_found, "device '" + std::string(id) + "' does not exist");
}

struct Series {
  int64_t id;
  std::string key;
};

// The device's series, limited to `keys` when it is not empty, by key.
std::vector<Series> series_of(Connection& c, std::string_view device_id,
                              const std::vector<std::string>& keys) {
  std::vector<Series> out;
  auto st = c.prepare("SELECT id, key FROM series WHERE device_id = ? ORDER BY key");
  st.bind(1, device_id);
  while (st.step()) {
    std::string key = st.column_text(1);
    if (!keys.empty() && std::find(keys.begin(), keys.end(), key) == keys.end()) continue;
    out.push_back(Series{st.column_int(0), std::move(key)});
  }
  return out;
}

// Builds buckets from rows that arrive in time order (either direction) and
// says stop once a bucket past the limit appears.
class BucketSink {
 public:
  BucketSink(int64_t interval, std::size_t limit) : interval_(interval), limit_(limit) {}

  bool add(int64_t ts, int64_t n, double total, double lo, double hi) {
    int64_t start = floor_to(ts, interval_);
    if (out_.empty() || out_.back().start_ms != start) {
      if (out_.size() == limit_) {
        more_ = true;
        return false;
      }
      out_.push_back(Bucket{start, n, total, lo, hi});
      return true;
    }
    auto& b = out_.back();
    b.count += n;
    b.sum += total;
    b.min = std::min(b.min, lo);
    b.max = std::max(b.max, hi);
    return true;
  }
  bool more() const { return more_; }
  std::vector<Bucket> take() { return std::move(out_); }

 private:
  int64_t interval_;
  std::size_t limit_;
  std::vector<Bucket> out_;
  bool more_ = false;
};

// Raw numeric points of [from, to]; false when the sink is full.
bool scan_raw(Connection& c, int64_t sid, int64_t from, int64_t to, Order order, BucketSink& sink) {
  if (from > to) return true;
  auto st = c.prepare(order == Order::asc
                          ? "SELECT ts, num FROM telemetry WHERE series_id = ? AND ts >= ? AND "
                            "ts <= ? AND kind = 0 ORDER BY ts"
                          : "SELECT ts, num FROM telemetry WHERE series_id = ? AND ts >= ? AND "
                            "ts <= ? AND kind = 0 ORDER BY ts DESC");
  st.bind_all(sid, from, to);
  while (st.step()) {
    double v = st.column_double(1);
    if (!sink.add(st.column_int(0), 1, v, v, v)) {
      st.reset();
      return false;
    }
  }
  return true;
}

// Numeric points of [from, to] by minute: a minute wholly inside the range
// and inside one bucket adds its rollup row; a minute cut by an edge of the
// range or of a bucket adds its raw points. False when the sink is full.
bool scan_by_minute(Connection& c, int64_t sid, int64_t from, int64_t to, int64_t interval,
                    Order order, BucketSink& sink) {
  auto st = c.prepare(order == Order::asc
                          ? "SELECT bucket_ms, n, total, lo, hi FROM telemetry_rollup WHERE "
                            "series_id = ? AND bucket_ms >= ? AND bucket_ms <= ? ORDER BY bucket_ms"
                          : "SELECT bucket_ms, n, total, lo, hi FROM telemetry_rollup WHERE "
                            "series_id = ? AND bucket_ms >= ? AND bucket_ms <= ? "
                            "ORDER BY bucket_ms DESC");
  st.bind_all(sid, floor_to(from, rollup_ms), floor_to(to, rollup_ms));
  while (st.step()) {
    int64_t first = st.column_int(0);
    int64_t last = first + rollup_ms - 1;
    bool whole =
        first >= from && last <= to && floor_div(first, interval) == floor_div(last, interval);
    bool more = whole ? sink.add(first, st.column_int(1), st.column_double(2), st.column_double(3),
                                 st.column_double(4))
                      : scan_raw(c, sid, std::max(first, from), std::min(last, to), order, sink);
    if (!more) {
      st.reset();
      return false;
    }
  }
  return true;
}

}  // namespace

TelemetryStore::TelemetryStore(Database& db)
    : db_(db), backlog_(db.options().telemetry_backlog_bytes) {}

TelemetryStore::~TelemetryStore() {
  stop_retention();
}

bool TelemetryStore::enqueue(std::vector<Point> points) {
  std::size_t n = points.size();
  std::size_t bytes = footprint(points);
  // Counted before the writer can see them, so its remove() never comes first.
  backlog_.add(bytes);
  if (closed_.load() || !db_.writer().post_points(std::move(points))) {
    backlog_.remove(bytes);
    dropped_.fetch_add(n);
    return false;
  }
  enqueued_.fetch_add(n);
  return true;
}

Status TelemetryStore::flush() {
  return db_.writer().flush();
}

void TelemetryStore::close() {
  stop_retention();
  closed_.store(true);
  db_.writer().flush();
}

TelemetryStore::Stats TelemetryStore::stats() const {
  return Stats{enqueued_.load(), written_.load(), dropped_.load(), purged_.load()};
}

// ---- writer thread ----

void TelemetryStore::forget_device_series(const std::string& device_id) {
  series_.erase(device_id);
}

void TelemetryStore::rolled_back() {
  // Series rows created in the rolled-back batch are gone; so must their ids be.
  series_.clear();
}

int64_t TelemetryStore::series_id(Connection& c, const std::string& device_id,
                                  const std::string& key) {
  auto dev = series_.find(device_id);
  if (dev != series_.end()) {
    auto it = dev->second.find(key);
    if (it != dev->second.end()) return it->second;
  }
  int64_t id = -1;
  auto sel = c.prepare("SELECT id FROM series WHERE device_id = ? AND key = ?");
  sel.bind_all(device_id, key);
  if (sel.step()) {
    id = sel.column_int(0);
    sel.reset();
  } else {
    try {
      c.prepare("INSERT INTO series(device_id, key) VALUES(?, ?)").bind_all(device_id, key).run();
      id = c.last_insert_rowid();
    } catch (const SqlError& e) {
      if (!e.is_constraint()) throw;
      return -1;  // no such device
    }
  }
  series_[device_id][key] = id;
  return id;
}

std::size_t TelemetryStore::write(Connection& c, std::vector<std::vector<Point>>& batches) {
  // Stored, dropped or rolled back, these points leave the backlog.
  struct LeaveBacklog {
    Backlog& backlog;
    std::size_t n = 0;
    ~LeaveBacklog() { backlog.remove(n); }
  } leave{backlog_};
  for (const auto& batch : batches) leave.n += footprint(batch);
  if (next_seq_ < 0) {
    auto st = c.prepare("SELECT value FROM meta WHERE key = 'telemetry_seq'");
    next_seq_ = st.step() ? st.column_int(0) : 1;
    st.reset();
  }
  struct Roll {
    int64_t n = 0;
    double total = 0, lo = 0, hi = 0;
  };
  struct Latest {
    int64_t ts, seq;
    const Point* point;
  };
  std::map<std::pair<int64_t, int64_t>, Roll> rolls;
  std::unordered_map<int64_t, Latest> latest;
  std::size_t stored = 0;
  uint64_t dropped = 0;

  // Rows go in in primary-key order: a batch from many devices interleaves
  // their series, and inserting it as it came touches a B-tree page per row.
  // Sequence numbers are taken in arrival order first, so order is kept.
  struct Row {
    int64_t sid, ts, seq;
    const Point* point;
  };
  std::vector<Row> rows;
  for (const auto& batch : batches) {
    for (const auto& p : batch) {
      const auto* num = std::get_if<double>(&p.value);
      if (p.key.empty() || (num && !std::isfinite(*num))) {
        ++dropped;
        continue;
      }
      int64_t sid = series_id(c, p.device_id, p.key);
      if (sid < 0) {
        ++dropped;
        continue;
      }
      rows.push_back(Row{sid, p.ts_ms, next_seq_++, &p});
    }
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.sid, a.ts, a.seq) < std::tie(b.sid, b.ts, b.seq);
  });

  auto ins = c.prepare(
      "INSERT INTO telemetry(series_id, ts, seq, kind, num, str) VALUES(?, ?, ?, ?, ?, ?)");
  for (const Row& row : rows) {
    const Point& p = *row.point;
    const auto* num = std::get_if<double>(&p.value);
    ins.bind(1, row.sid).bind(2, row.ts).bind(3, row.seq);
    bind_value(ins, 4, p.value);
    ins.run();
    ++stored;
    if (num) {
      auto [it, fresh] = rolls.try_emplace({row.sid, floor_to(row.ts, rollup_ms)});
      auto& r = it->second;
      if (fresh) {
        r.lo = r.hi = *num;
      } else {
        r.lo = std::min(r.lo, *num);
        r.hi = std::max(r.hi, *num);
      }
      ++r.n;
      r.total += *num;
    }
    // Sorted by (ts, seq) within a series: the last row of each series wins.
    latest.insert_or_assign(row.sid, Latest{row.ts, row.seq, &p});
  }

  auto roll = c.prepare(
      "INSERT INTO telemetry_rollup(series_id, bucket_ms, n, total, lo, hi) "
      "VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(series_id, bucket_ms) DO UPDATE SET "
      "n = n + excluded.n, total = total + excluded.total, lo = min(lo, excluded.lo), "
      "hi = max(hi, excluded.hi)");
  for (const auto& [k, r] : rolls) {
    roll.bind_all(k.first, k.second, r.n, r.total, r.lo, r.hi);
    roll.run();
  }
  auto up = c.prepare(
      "INSERT INTO telemetry_latest(series_id, ts, seq, kind, num, str) VALUES(?, ?, ?, ?, ?, ?) "
      "ON CONFLICT(series_id) DO UPDATE SET ts = excluded.ts, seq = excluded.seq, "
      "kind = excluded.kind, num = excluded.num, str = excluded.str "
      "WHERE excluded.ts > telemetry_latest.ts OR "
      "(excluded.ts = telemetry_latest.ts AND excluded.seq > telemetry_latest.seq)");
  for (const auto& [sid, l] : latest) {
    up.bind(1, sid).bind(2, l.ts).bind(3, l.seq);
    bind_value(up, 4, l.point->value);
    up.run();
  }
  c.prepare(
       "INSERT INTO meta(key, value) VALUES('telemetry_seq', ?) "
       "ON CONFLICT(key) DO UPDATE SET value = excluded.value")
      .bind(1, next_seq_)
      .run();

  if (dropped > 0) {
    dropped_.fetch_add(dropped);
    TLOG(debug, "db") << "telemetry points dropped" << log::kv("count", dropped);
  }
  written_.fetch_add(stored);
  return stored;
}

// ---- reads ----

Result<PointPage> TelemetryStore::query(const TelemetryQuery& q) const {
  int64_t from = std::max(q.from_ms, -time_limit);
  int64_t to = std::min(q.to_ms, time_limit);
  if (from > to) return from_after_to(from, to);
  std::size_t limit = std::clamp<std::size_t>(q.limit, 1, max_points_per_page);
  const bool asc = q.order == Order::asc;
  int64_t after_ts = asc ? from : to;
  int64_t after_seq =
      asc ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
  if (!q.cursor.empty()) {
    auto f = decode_cursor(q.cursor, cursor_tag, 3);
    if (!f || (*f)[0] != (asc ? "a" : "d")) {
      return error(errc::invalid_argument, "cursor is not one this query gave out");
    }
    try {
      after_ts = std::stoll((*f)[1]);
      after_seq = std::stoll((*f)[2]);
    } catch (const std::exception&) {
      return error(errc::invalid_argument, "cursor is not one this query gave out");
    }
  }

  return guarded([&]() -> Result<PointPage> {
    auto c = db_.readers().acquire();
    Transaction snapshot(*c);
    if (!device_exists(*c, q.device_id)) return device_not_found(q.device_id);

    struct Row {
      int64_t seq;
      Point point;
    };
    std::vector<Row> rows;
    for (const auto& s : series_of(*c, q.device_id, q.keys)) {
      auto st =
          c->prepare(asc ? "SELECT ts, seq, kind, num, str FROM telemetry WHERE series_id = ?1 AND "
                           "ts >= ?2 AND ts <= ?3 AND ts >= ?4 AND (ts > ?4 OR seq > ?5) "
                           "ORDER BY ts, seq LIMIT ?6"
                         : "SELECT ts, seq, kind, num, str FROM telemetry WHERE series_id = ?1 AND "
                           "ts >= ?2 AND ts <= ?3 AND ts <= ?4 AND (ts < ?4 OR seq < ?5) "
                           "ORDER BY ts DESC, seq DESC LIMIT ?6");
      st.bind_all(s.id, from, to, after_ts, after_seq, static_cast<int64_t>(limit + 1));
      while (st.step()) {
        rows.push_back(
            Row{st.column_int(1), Point{q.device_id, s.key, st.column_int(0), read_value(st, 2)}});
      }
    }
    snapshot.commit();

    auto before = [asc](const Row& a, const Row& b) {
      auto ka = std::pair(a.point.ts_ms, a.seq);
      auto kb = std::pair(b.point.ts_ms, b.seq);
      return asc ? ka < kb : kb < ka;
    };
    std::sort(rows.begin(), rows.end(), before);
    PointPage page;
    bool more = rows.size() > limit;
    if (more) rows.resize(limit);
    page.points.reserve(rows.size());
    for (auto& r : rows) page.points.push_back(std::move(r.point));
    if (more) {
      page.next_cursor =
          encode_cursor(cursor_tag, {asc ? "a" : "d", std::to_string(rows.back().point.ts_ms),
                                     std::to_string(rows.back().seq)});
    }
    return page;
  });
}

Result<std::vector<KeyAggregate>> TelemetryStore::aggregate(const AggregateQuery& q) const {
  int64_t from = std::max(q.from_ms, -time_limit);
  int64_t to = std::min(q.to_ms, time_limit);
  if (from > to) return from_after_to(from, to);
  if (q.interval_ms < 1) return error(errc::invalid_argument, "interval must be at least 1 ms");
  int64_t interval = q.interval_ms;
  std::size_t limit = std::clamp<std::size_t>(q.limit, 1, max_buckets);

  // Intervals of a minute or more read the per-minute rollups, falling back
  // to raw points only for minutes an edge cuts; shorter ones read raw points.
  bool use_rollup = interval >= rollup_ms;

  return guarded([&]() -> Result<std::vector<KeyAggregate>> {
    auto c = db_.readers().acquire();
    Transaction snapshot(*c);
    if (!device_exists(*c, q.device_id)) return device_not_found(q.device_id);
    std::vector<KeyAggregate> out;
    for (const auto& s : series_of(*c, q.device_id, q.keys)) {
      BucketSink sink(interval, limit);
      if (use_rollup) {
        scan_by_minute(*c, s.id, from, to, interval, q.order, sink);
      } else {
        scan_raw(*c, s.id, from, to, q.order, sink);
      }
      bool more = sink.more();
      out.push_back(KeyAggregate{s.key, sink.take(), more});
    }
    snapshot.commit();
    return out;
  });
}

Result<std::vector<Point>> TelemetryStore::latest(std::string_view device_id,
                                                  const std::vector<std::string>& keys) const {
  return guarded([&]() -> Result<std::vector<Point>> {
    auto c = db_.readers().acquire();
    Transaction snapshot(*c);
    if (!device_exists(*c, device_id)) return device_not_found(device_id);
    auto st = c->prepare(
        "SELECT s.key, l.ts, l.kind, l.num, l.str FROM series s "
        "JOIN telemetry_latest l ON l.series_id = s.id WHERE s.device_id = ? ORDER BY s.key");
    st.bind(1, device_id);
    std::vector<Point> out;
    while (st.step()) {
      std::string key = st.column_text(0);
      if (!keys.empty() && std::find(keys.begin(), keys.end(), key) == keys.end()) continue;
      out.push_back(
          Point{std::string(device_id), std::move(key), st.column_int(1), read_value(st, 2)});
    }
    snapshot.commit();
    return out;
  });
}

Result<int64_t> TelemetryStore::count(std::string_view device_id) const {
  return guarded([&]() -> Result<int64_t> {
    auto c = db_.readers().acquire();
    auto st = device_id.empty() ? c->prepare("SELECT count(*) FROM telemetry")
                                : c->prepare(
                                      "SELECT count(*) FROM telemetry WHERE series_id IN "
                                      "(SELECT id FROM series WHERE device_id = ?)");
    if (!device_id.empty()) st.bind(1, device_id);
    st.step();
    int64_t n = st.column_int(0);
    st.reset();
    return n;
  });
}

// ---- retention ----

Result<uint64_t> TelemetryStore::purge_older_than(int64_t cutoff_ms, std::size_t batch) {
  return purge(cutoff_ms, batch, nullptr);
}

Result<uint64_t> TelemetryStore::purge(int64_t cutoff_ms, std::size_t batch,
                                       const std::atomic<bool>* stop) {
  int64_t cutoff = floor_to(std::clamp(cutoff_ms, -time_limit, time_limit), rollup_ms);
  auto budget_max = static_cast<int64_t>(std::max<std::size_t>(batch, 1));
  struct Step {
    uint64_t deleted = 0;
    int64_t next_series = 0;
    bool done = false;
  };
  uint64_t total = 0;
  int64_t next_series = 0;
  while (true) {
    if (stop && stop->load()) break;
    // One small job at a time, so ingest and other writes slot in between.
    auto step = db_.writer().call([&](Connection& c) -> Result<Step> {
      Step s;
      int64_t budget = budget_max;
      std::vector<int64_t> ids;
      auto list = c.prepare("SELECT id FROM series WHERE id >= ? ORDER BY id LIMIT 256");
      list.bind(1, next_series);
      while (list.step()) ids.push_back(list.column_int(0));
      for (int64_t sid : ids) {
        auto edge = c.prepare(
            "SELECT ts, seq FROM telemetry WHERE series_id = ? AND ts < ? "
            "ORDER BY ts, seq LIMIT 1 OFFSET ?");
        edge.bind_all(sid, cutoff, budget - 1);
        if (edge.step()) {
          // More old points than the budget: delete exactly the budget's worth.
          int64_t ts = edge.column_int(0);
          int64_t seq = edge.column_int(1);
          edge.reset();
          c.prepare(
               "DELETE FROM telemetry WHERE series_id = ? AND ts <= ?2 AND (ts < ?2 OR seq <= ?3)")
              .bind_all(sid, ts, seq)
              .run();
          s.deleted += static_cast<uint64_t>(c.changes());
          s.next_series = sid;
          return s;
        }
        c.prepare("DELETE FROM telemetry WHERE series_id = ? AND ts < ?")
            .bind_all(sid, cutoff)
            .run();
        int64_t n = c.changes();
        s.deleted += static_cast<uint64_t>(n);
        budget -= n;
        c.prepare("DELETE FROM telemetry_rollup WHERE series_id = ? AND bucket_ms < ?")
            .bind_all(sid, cutoff)
            .run();
        s.next_series = sid + 1;
        if (budget <= 0) return s;
      }
      s.done = ids.size() < 256;
      return s;
    });
    if (!step) return step.error();
    total += step->deleted;
    purged_.fetch_add(step->deleted);
    next_series = step->next_series;
    if (step->done) break;
  }
  return total;
}

void TelemetryStore::start_retention(int days, std::chrono::milliseconds every) {
  stop_retention();
  if (days <= 0) return;
  std::lock_guard lk(retention_mu_);
  retention_stop_ = false;
  retention_stopping_.store(false);
  retention_ = std::thread([this, days, every] {
    std::unique_lock lk(retention_mu_);
    while (!retention_stop_) {
      lk.unlock();
      int64_t cutoff = now_ms() - int64_t{days} * 86'400'000;
      auto r = purge(cutoff, 5000, &retention_stopping_);
      if (!r) {
        TLOG(warn, "db") << "telemetry retention failed" << log::kv("error", r.error().message);
      } else if (*r > 0) {
        TLOG(info, "db") << "telemetry retention" << log::kv("deleted", *r)
                         << log::kv("days", days);
      }
      lk.lock();
      retention_cv_.wait_for(lk, every, [this] { return retention_stop_; });
    }
  });
}

void TelemetryStore::stop_retention() {
  std::thread t;
  {
    std::lock_guard lk(retention_mu_);
    retention_stop_ = true;
    retention_stopping_.store(true);
    t = std::move(retention_);
  }
  retention_cv_.notify_all();
  if (t.joinable()) t.join();
}

}  // namespace trellis::db
