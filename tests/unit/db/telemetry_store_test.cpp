// Telemetry: ingest, range queries with cursors, aggregates, latest, retention.
#include "db/telemetry_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <map>

#include "core/message.hpp"
#include "db/device_store.hpp"
#include "db_test_util.hpp"

namespace trellis::db {
namespace {

using testing::open_db;
using testing::TempDir;
using testing::test_options;

// 100k points of "temp", one a second from a time that is not minute-aligned,
// plus "hum" at every tenth second (same time stamps: ties between keys),
// strings and booleans.
constexpr int64_t base = 1'700'000'012'345;
constexpr int n_points = 100'000;

double temp_value(int i) {
  return (i % 97) * 0.5 + i / 1000;
}
int64_t ts_of(int i) {
  return base + int64_t{i} * 1000;
}

struct Expected {
  int64_t count = 0;
  double sum = 0, min = 0, max = 0;
};

int64_t floor_to(int64_t t, int64_t step) {
  int64_t q = t / step;
  if (t % step != 0 && t < 0) --q;
  return q * step;
}

std::map<int64_t, Expected> expected_temp_buckets(int64_t from, int64_t to, int64_t interval) {
  std::map<int64_t, Expected> out;
  for (int i = 0; i < n_points; ++i) {
    int64_t ts = ts_of(i);
    if (ts < from || ts > to) continue;
    double v = temp_value(i);
    auto& e = out[floor_to(ts, interval)];
    if (e.count == 0) e.min = e.max = v;
    e.min = std::min(e.min, v);
    e.max = std::max(e.max, v);
    e.sum += v;
    ++e.count;
  }
  return out;
}

class TelemetryIngested : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    auto o = test_options(dir_->path());
    db_ = open_db(o).release();
    ASSERT_TRUE(db_);
    ASSERT_TRUE(db_->devices().create(NewDevice{.id = "d1"}));
    ASSERT_TRUE(db_->devices().create(NewDevice{.id = "empty"}));
    std::vector<Point> chunk;
    for (int i = 0; i < n_points; ++i) {
      chunk.push_back(Point{"d1", "temp", ts_of(i), temp_value(i)});
      if (i % 10 == 0) chunk.push_back(Point{"d1", "hum", ts_of(i), double(i)});
      if (i % 1000 == 0) chunk.push_back(Point{"d1", "state", ts_of(i), "s" + std::to_string(i)});
      if (i % 500 == 0) chunk.push_back(Point{"d1", "on", ts_of(i), i % 1000 == 0});
      if (chunk.size() >= 1000) {
        ASSERT_TRUE(db_->telemetry().enqueue(std::move(chunk)));
        chunk.clear();
      }
    }
    ASSERT_TRUE(db_->telemetry().enqueue(std::move(chunk)));
    ASSERT_TRUE(db_->telemetry().flush());
  }
  static void TearDownTestSuite() {
    delete db_;
    delete dir_;
  }
  TelemetryStore& tel() { return db_->telemetry(); }

  static TempDir* dir_;
  static Database* db_;
};
TempDir* TelemetryIngested::dir_ = nullptr;
Database* TelemetryIngested::db_ = nullptr;

TEST_F(TelemetryIngested, EveryPointIsStored) {
  EXPECT_EQ(*tel().count("d1"), n_points + n_points / 10 + n_points / 1000 + n_points / 500);
  EXPECT_EQ(tel().stats().dropped, 0u);
}

TEST_F(TelemetryIngested, RangeAscending) {
  TelemetryQuery q{.device_id = "d1", .keys = {"temp"}, .from_ms = ts_of(10), .to_ms = ts_of(19)};
  auto r = tel().query(q);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->points.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(r->points[i], (Point{"d1", "temp", ts_of(10 + i), temp_value(10 + i)}));
  }
  EXPECT_TRUE(r->next_cursor.empty());
}

TEST_F(TelemetryIngested, LimitAndDescendingOrder) {
  TelemetryQuery q{.device_id = "d1", .keys = {"temp"}, .limit = 5, .order = Order::desc};
  auto r = tel().query(q);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->points.size(), 5u);
  for (int k = 0; k < 5; ++k) EXPECT_EQ(r->points[k].ts_ms, ts_of(n_points - 1 - k));
  EXPECT_FALSE(r->next_cursor.empty());
}

// The expected sequence of temp+hum points in [ts_of(0), ts_of(last)].
std::vector<Point> temp_and_hum(int last) {
  std::vector<Point> out;
  for (int i = 0; i <= last; ++i) {
    out.push_back(Point{"d1", "temp", ts_of(i), temp_value(i)});
    if (i % 10 == 0) out.push_back(Point{"d1", "hum", ts_of(i), double(i)});
  }
  return out;
}

TEST_F(TelemetryIngested, CursorPagesAscendingAcrossKeysWithTies) {
  std::vector<Point> seen;
  std::string cursor;
  int pages = 0;
  do {
    TelemetryQuery q{.device_id = "d1",
                     .keys = {"temp", "hum"},
                     .from_ms = ts_of(0),
                     .to_ms = ts_of(2499),
                     .limit = 1000,
                     .cursor = cursor};
    auto r = tel().query(q);
    ASSERT_TRUE(r) << r.error().message;
    seen.insert(seen.end(), r->points.begin(), r->points.end());
    cursor = r->next_cursor;
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, temp_and_hum(2499));  // same ts: insertion order (temp, then hum)
}

TEST_F(TelemetryIngested, CursorPagesDescending) {
  std::vector<Point> seen;
  std::string cursor;
  do {
    TelemetryQuery q{.device_id = "d1",
                     .keys = {"temp", "hum"},
                     .from_ms = ts_of(0),
                     .to_ms = ts_of(2499),
                     .limit = 333,
                     .order = Order::desc,
                     .cursor = cursor};
    auto r = tel().query(q);
    ASSERT_TRUE(r);
    seen.insert(seen.end(), r->points.begin(), r->points.end());
    cursor = r->next_cursor;
  } while (!cursor.empty());
  auto expected = temp_and_hum(2499);
  std::reverse(expected.begin(), expected.end());
  EXPECT_EQ(seen, expected);
}

TEST_F(TelemetryIngested, AllKeysIncludeStringsAndBooleans) {
  TelemetryQuery q{.device_id = "d1", .from_ms = ts_of(1000), .to_ms = ts_of(1000)};
  auto r = tel().query(q);
  ASSERT_TRUE(r);
  std::vector<Point> expected = {
      Point{"d1", "temp", ts_of(1000), temp_value(1000)},
      Point{"d1", "hum", ts_of(1000), 1000.0},
      Point{"d1", "state", ts_of(1000), std::string("s1000")},
      Point{"d1", "on", ts_of(1000), true},
  };
  EXPECT_EQ(r->points, expected);
}

TEST_F(TelemetryIngested, UnknownKeyGivesNoPoints) {
  auto r = tel().query(TelemetryQuery{.device_id = "d1", .keys = {"nope"}});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->points.empty());
}

TEST_F(TelemetryIngested, UnknownDeviceIsNotFound) {
  EXPECT_EQ(tel().query(TelemetryQuery{.device_id = "ghost"}).error().code, "not_found");
  EXPECT_EQ(tel().aggregate(AggregateQuery{.device_id = "ghost"}).error().code, "not_found");
  EXPECT_EQ(tel().latest("ghost").error().code, "not_found");
}

TEST_F(TelemetryIngested, BadCursorAndRangeAreInvalid) {
  EXPECT_EQ(tel().query(TelemetryQuery{.device_id = "d1", .cursor = "zzz"}).error().code,
            "invalid_argument");
  auto page = tel().query(TelemetryQuery{.device_id = "d1", .limit = 1, .order = Order::desc});
  ASSERT_TRUE(page);
  TelemetryQuery flipped{.device_id = "d1", .order = Order::asc, .cursor = page->next_cursor};
  EXPECT_EQ(tel().query(flipped).error().code, "invalid_argument");
  auto after = tel().query(TelemetryQuery{.device_id = "d1", .from_ms = 5, .to_ms = 4});
  EXPECT_EQ(after.error().code, "invalid_argument");
  EXPECT_EQ(after.error().message, "from (5) is after to (4)");
}

void expect_buckets(const KeyAggregate& got, const std::map<int64_t, Expected>& want) {
  ASSERT_EQ(got.buckets.size(), want.size());
  auto it = want.begin();
  for (const auto& b : got.buckets) {
    EXPECT_EQ(b.start_ms, it->first);
    EXPECT_EQ(b.count, it->second.count) << b.start_ms;
    EXPECT_NEAR(b.sum, it->second.sum, 1e-6 * std::abs(it->second.sum) + 1e-9) << b.start_ms;
    EXPECT_EQ(b.min, it->second.min) << b.start_ms;
    EXPECT_EQ(b.max, it->second.max) << b.start_ms;
    EXPECT_NEAR(b.avg(), it->second.sum / double(it->second.count), 1e-9) << b.start_ms;
    ++it;
  }
}

TEST_F(TelemetryIngested, HourlyAggregatesOverEverything) {
  auto r = tel().aggregate(AggregateQuery{.device_id = "d1", .keys = {"temp"}});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].key, "temp");
  EXPECT_FALSE((*r)[0].more);
  expect_buckets((*r)[0], expected_temp_buckets(INT64_MIN, INT64_MAX, 3'600'000));
}

TEST_F(TelemetryIngested, HourlyAggregatesWithRaggedEdges) {
  // Neither end on a minute: raw points at both edges, rollups in between.
  int64_t from = ts_of(100) + 123, to = ts_of(7300) + 999;
  auto r = tel().aggregate(
      AggregateQuery{.device_id = "d1", .keys = {"temp"}, .from_ms = from, .to_ms = to});
  ASSERT_TRUE(r);
  expect_buckets((*r)[0], expected_temp_buckets(from, to, 3'600'000));
}

TEST_F(TelemetryIngested, MinuteMultipleIntervalsUseRollups) {
  int64_t from = ts_of(5000), to = ts_of(20000);
  auto r = tel().aggregate(AggregateQuery{
      .device_id = "d1", .keys = {"temp"}, .from_ms = from, .to_ms = to, .interval_ms = 300'000});
  ASSERT_TRUE(r);
  expect_buckets((*r)[0], expected_temp_buckets(from, to, 300'000));
}

TEST_F(TelemetryIngested, IntervalsThatCutMinutesMixRollupsAndRawPoints) {
  int64_t from = ts_of(0), to = ts_of(20000);
  for (int64_t interval : {90'001, 3'600'001}) {
    auto r = tel().aggregate(AggregateQuery{.device_id = "d1",
                                            .keys = {"temp"},
                                            .from_ms = from,
                                            .to_ms = to,
                                            .interval_ms = interval});
    ASSERT_TRUE(r);
    expect_buckets((*r)[0], expected_temp_buckets(from, to, interval));
  }
}

TEST_F(TelemetryIngested, SubMinuteIntervalsAggregateRawPoints) {
  int64_t from = ts_of(10), to = ts_of(900);
  auto r = tel().aggregate(AggregateQuery{
      .device_id = "d1", .keys = {"temp"}, .from_ms = from, .to_ms = to, .interval_ms = 7'000});
  ASSERT_TRUE(r);
  expect_buckets((*r)[0], expected_temp_buckets(from, to, 7'000));
}

TEST_F(TelemetryIngested, DescendingAggregatesWithCutMinutes) {
  int64_t from = ts_of(33) + 1, to = ts_of(9000) + 17;
  auto r = tel().aggregate(AggregateQuery{.device_id = "d1",
                                          .keys = {"temp"},
                                          .from_ms = from,
                                          .to_ms = to,
                                          .interval_ms = 1'234'567,
                                          .order = Order::desc});
  ASSERT_TRUE(r);
  KeyAggregate ascending = (*r)[0];
  std::reverse(ascending.buckets.begin(), ascending.buckets.end());
  expect_buckets(ascending, expected_temp_buckets(from, to, 1'234'567));
}

TEST_F(TelemetryIngested, DescendingAggregatesStopAtTheLimit) {
  auto r = tel().aggregate(
      AggregateQuery{.device_id = "d1", .keys = {"temp"}, .limit = 3, .order = Order::desc});
  ASSERT_TRUE(r);
  auto all = expected_temp_buckets(INT64_MIN, INT64_MAX, 3'600'000);
  std::map<int64_t, Expected> last3(std::prev(all.end(), 3), all.end());
  const auto& got = (*r)[0];
  EXPECT_TRUE(got.more);
  ASSERT_EQ(got.buckets.size(), 3u);
  KeyAggregate ascending = got;
  std::reverse(ascending.buckets.begin(), ascending.buckets.end());
  expect_buckets(ascending, last3);
}

TEST_F(TelemetryIngested, AggregatesSkipStringsAndBooleans) {
  auto r = tel().aggregate(AggregateQuery{.device_id = "d1"});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 4u);  // by key: hum, on, state, temp
  EXPECT_EQ((*r)[0].key, "hum");
  EXPECT_FALSE((*r)[0].buckets.empty());
  EXPECT_TRUE((*r)[1].buckets.empty());
  EXPECT_TRUE((*r)[2].buckets.empty());
}

TEST_F(TelemetryIngested, LatestValueOfEachKey) {
  auto r = tel().latest("d1");
  ASSERT_TRUE(r);
  std::vector<Point> expected = {
      Point{"d1", "hum", ts_of(99990), 99990.0},
      Point{"d1", "on", ts_of(99500), false},
      Point{"d1", "state", ts_of(99000), std::string("s99000")},
      Point{"d1", "temp", ts_of(n_points - 1), temp_value(n_points - 1)},
  };
  EXPECT_EQ(*r, expected);
  auto only = tel().latest("d1", {"temp"});
  ASSERT_TRUE(only);
  ASSERT_EQ(only->size(), 1u);
  EXPECT_TRUE(tel().latest("empty")->empty());
}

// ---- each with its own database ----

class TelemetryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    o_ = test_options(dir_.path());
    db_ = open_db(o_);
    ASSERT_TRUE(db_);
    ASSERT_TRUE(db_->devices().create(NewDevice{.id = "d"}));
  }
  TempDir dir_;
  DatabaseOptions o_;
  std::unique_ptr<Database> db_;
};

TEST_F(TelemetryTest, PointsOfUnknownDevicesAreDroppedAndCounted) {
  db_->telemetry().enqueue({Point{"ghost", "t", 1, 1.0}, Point{"d", "t", 1, 1.0}});
  ASSERT_TRUE(db_->flush());
  EXPECT_EQ(*db_->telemetry().count(), 1);
  EXPECT_EQ(db_->telemetry().stats().dropped, 1u);
}

TEST_F(TelemetryTest, NonFiniteNumbersAreDropped) {
  db_->telemetry().enqueue({Point{"d", "t", 1, std::nan("")}, Point{"d", "t", 2, INFINITY}});
  ASSERT_TRUE(db_->flush());
  EXPECT_EQ(*db_->telemetry().count(), 0);
}

TEST_F(TelemetryTest, LatestIgnoresOlderPointsArrivingLater) {
  db_->telemetry().enqueue({Point{"d", "t", 2000, 2.0}});
  ASSERT_TRUE(db_->flush());
  db_->telemetry().enqueue({Point{"d", "t", 1000, 1.0}});
  ASSERT_TRUE(db_->flush());
  auto r = db_->telemetry().latest("d");
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].ts_ms, 2000);
  db_->telemetry().enqueue({Point{"d", "t", 2000, 3.0}});  // same time, newer arrival wins
  ASSERT_TRUE(db_->flush());
  EXPECT_EQ(std::get<double>((*db_->telemetry().latest("d"))[0].value), 3.0);
}

TEST_F(TelemetryTest, CloseDrainsEverythingEnqueued) {
  o_.flush_interval = std::chrono::seconds(60);  // nothing is written until close()
  db_.reset();
  db_ = open_db(o_);
  ASSERT_TRUE(db_);
  for (int k = 0; k < 5; ++k) {
    std::vector<Point> pts;
    for (int i = 0; i < 700; ++i) pts.push_back(Point{"d", "t", k * 1000 + i, double(i)});
    ASSERT_TRUE(db_->telemetry().enqueue(std::move(pts)));
  }
  db_->close();
  EXPECT_FALSE(db_->telemetry().enqueue({Point{"d", "t", 1, 1.0}}));
  db_.reset();
  db_ = open_db(o_);
  ASSERT_TRUE(db_);
  EXPECT_EQ(*db_->telemetry().count("d"), 3500);
}

TEST_F(TelemetryTest, RetentionDeletesOnlyOldPoints) {
  int64_t now = 1'700'000'000'000;
  int64_t day = 86'400'000;
  std::vector<Point> pts;
  for (int i = 0; i < 1234; ++i) pts.push_back(Point{"d", "old", now - 10 * day + i, double(i)});
  for (int i = 0; i < 300; ++i) pts.push_back(Point{"d", "mixed", now - 9 * day + i, 1.0});
  for (int i = 0; i < 200; ++i) pts.push_back(Point{"d", "mixed", now - day + i, 2.0});
  db_->telemetry().enqueue(std::move(pts));
  ASSERT_TRUE(db_->flush());
  auto purged = db_->telemetry().purge_older_than(now - 7 * day, 100);  // many small jobs
  ASSERT_TRUE(purged) << purged.error().message;
  EXPECT_EQ(*purged, 1534u);
  EXPECT_EQ(*db_->telemetry().count("d"), 200);
  auto old = db_->telemetry().aggregate(
      AggregateQuery{.device_id = "d", .to_ms = now - 7 * day, .interval_ms = day});
  ASSERT_TRUE(old);
  for (const auto& k : *old) EXPECT_TRUE(k.buckets.empty()) << k.key;  // rollups went too
  auto recent = db_->telemetry().aggregate(AggregateQuery{
      .device_id = "d", .keys = {"mixed"}, .from_ms = now - 2 * day, .interval_ms = day});
  ASSERT_TRUE(recent);
  int64_t n = 0;
  for (const auto& b : (*recent)[0].buckets) n += b.count;
  EXPECT_EQ(n, 200);
  EXPECT_EQ(db_->telemetry().latest("d")->size(), 2u);  // latest values are kept
}

TEST_F(TelemetryTest, BackgroundRetentionRuns) {
  int64_t old = now_ms() - 30LL * 86'400'000;
  db_->telemetry().enqueue({Point{"d", "t", old, 1.0}, Point{"d", "t", now_ms(), 2.0}});
  ASSERT_TRUE(db_->flush());
  db_->telemetry().start_retention(7, std::chrono::milliseconds(20));
  for (int i = 0; i < 200 && *db_->telemetry().count() != 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  db_->telemetry().stop_retention();
  EXPECT_EQ(*db_->telemetry().count(), 1);
  EXPECT_EQ(db_->telemetry().stats().purged, 1u);
}

// ---- the backlog ----

TEST(TelemetryBacklog, HoldsQueuedPointsUntilTheWriterHasTakenThem) {
  TempDir dir;
  auto o = test_options(dir.path());
  o.flush_interval = std::chrono::hours(1);  // nothing is written before flush()
  o.telemetry_backlog_bytes = 1000;
  auto db = open_db(o);
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->devices().create(NewDevice{.id = "d"}));
  Backlog& backlog = db->telemetry().backlog();

  std::vector<Point> points;
  for (int i = 0; i < 20; ++i) points.push_back(Point{"d", "t", i, double(i)});
  points.push_back(Point{"ghost", "t", 1, std::string(2000, 'x')});  // dropped when written
  EXPECT_EQ(Backlog::pushed_back_by([&] { db->telemetry().enqueue(points); }), &backlog);
  EXPECT_GT(backlog.size(), 2000u);

  std::atomic<bool> resumed{false};
  backlog.on_drained([&] { resumed = true; });
  EXPECT_FALSE(resumed);
  ASSERT_TRUE(db->flush());
  // Stored or dropped, every point left the backlog, and the waiter ran.
  EXPECT_EQ(backlog.size(), 0u);
  EXPECT_TRUE(resumed);
  EXPECT_EQ(*db->telemetry().count(), 20);

  // Points refused after close never stay counted.
  db->telemetry().close();
  EXPECT_FALSE(db->telemetry().enqueue({Point{"d", "t", 99, 1.0}}));
  EXPECT_EQ(backlog.size(), 0u);
}

}  // namespace
}  // namespace trellis::db
