// The single writer: batching, per-job savepoints, flush and close.
#include "db/writer.hpp"

#include <gtest/gtest.h>

#include <atomic>

#include "db_test_util.hpp"

namespace trellis::db {
namespace {

using testing::open_db;
using testing::TempDir;
using testing::test_options;

Status make_table(Database& db) {
  return db.writer().call([](Connection& c) -> Status {
    c.exec("CREATE TABLE IF NOT EXISTS w(x INTEGER PRIMARY KEY)");
    return Ok{};
  });
}

int64_t rows(Database& db) {
  auto c = db.readers().acquire();
  return std::stoll(c->query_text("SELECT count(*) FROM w"));
}

TEST(Writer, AFailingJobRollsBackOnlyItself) {
  TempDir dir;
  auto db = open_db(test_options(dir.path()));
  ASSERT_TRUE(db);
  ASSERT_TRUE(make_table(*db));
  db->writer().post([](Connection& c) { c.prepare("INSERT INTO w VALUES(1)").run(); });
  db->writer().post([](Connection& c) {
    c.prepare("INSERT INTO w VALUES(2)").run();
    c.prepare("INSERT INTO w VALUES(1)").run();  // duplicate: this job fails, 2 goes with it
  });
  db->writer().post([](Connection& c) { c.prepare("INSERT INTO w VALUES(3)").run(); });
  ASSERT_TRUE(db->flush());
  EXPECT_EQ(rows(*db), 2);
  EXPECT_EQ(db->writer().stats().jobs_failed, 1u);
}

TEST(Writer, CallReturnsTheResultAndAnErrorRollsBack) {
  TempDir dir;
  auto db = open_db(test_options(dir.path()));
  ASSERT_TRUE(db);
  ASSERT_TRUE(make_table(*db));
  auto ok = db->writer().call([](Connection& c) -> Result<int> {
    c.prepare("INSERT INTO w VALUES(7)").run();
    return 7;
  });
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 7);
  auto refused = db->writer().call([](Connection& c) -> Result<int> {
    c.prepare("INSERT INTO w VALUES(8)").run();
    return make_error("nope", "changed my mind");
  });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "nope");
  auto thrown = db->writer().call([](Connection& c) -> Result<int> {
    c.prepare("INSERT INTO w VALUES(7)").run();
    return 0;
  });
  ASSERT_FALSE(thrown);
  EXPECT_EQ(thrown.error().code, "conflict");
  EXPECT_EQ(rows(*db), 1);
}

TEST(Writer, ManyPostsShareFewTransactions) {
  TempDir dir;
  auto o = test_options(dir.path());
  o.flush_interval = std::chrono::milliseconds(50);
  auto db = open_db(o);
  ASSERT_TRUE(db);
  ASSERT_TRUE(make_table(*db));
  auto before = db->writer().stats().batches;
  for (int i = 0; i < 500; ++i) {
    db->writer().post(
        [i](Connection& c) { c.prepare("INSERT INTO w VALUES(?)").bind(1, int64_t{i}).run(); });
  }
  ASSERT_TRUE(db->flush());
  EXPECT_EQ(rows(*db), 500);
  EXPECT_LE(db->writer().stats().batches - before, 5u);
}

TEST(Writer, CloseDrainsAndRefusesLaterWrites) {
  TempDir dir;
  auto o = test_options(dir.path());
  o.flush_interval = std::chrono::seconds(30);  // only close() can make these land
  auto db = open_db(o);
  ASSERT_TRUE(db);
  ASSERT_TRUE(make_table(*db));
  for (int i = 0; i < 100; ++i) {
    db->writer().post(
        [i](Connection& c) { c.prepare("INSERT INTO w VALUES(?)").bind(1, int64_t{i}).run(); });
  }
  db->close();
  EXPECT_EQ(rows(*db), 100);
  EXPECT_FALSE(db->writer().post([](Connection&) {}));
  auto r = db->writer().call([](Connection&) -> Status { return Ok{}; });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "unavailable");
}

TEST(Writer, ReadsDoNotWaitForAnOpenWrite) {
  TempDir dir;
  auto db = open_db(test_options(dir.path()));
  ASSERT_TRUE(db);
  ASSERT_TRUE(make_table(*db));
  std::atomic<bool> release{false};
  std::atomic<bool> inside{false};
  db->writer().post([&](Connection& c) {
    c.prepare("INSERT INTO w VALUES(42)").run();
    inside = true;
    while (!release) std::this_thread::yield();
  });
  while (!inside) std::this_thread::yield();
  EXPECT_EQ(rows(*db), 0);  // the open write transaction is invisible, and did not block us
  release = true;
  ASSERT_TRUE(db->flush());
  EXPECT_EQ(rows(*db), 1);
}

}  // namespace
}  // namespace trellis::db
