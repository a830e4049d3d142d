// Opening, pragmas and schema migrations.
#include "db/database.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "db/device_store.hpp"
#include "db/schema.hpp"
#include "db_test_util.hpp"

namespace trellis::db {
namespace {

using testing::open_db;
using testing::TempDir;
using testing::test_options;

TEST(Database, FreshFileCreatesFoldersAndAppliesEveryMigration) {
  TempDir dir;
  auto o = test_options(dir.path());
  o.path = dir.path() / "a" / "b" / "c" / "trellis.db";
  auto db = open_db(o);
  ASSERT_TRUE(db);
  EXPECT_TRUE(std::filesystem::exists(o.path));
  EXPECT_EQ(db->schema_version(), migrations().back().version);
}

TEST(Database, UsesWalModeAndForeignKeys) {
  TempDir dir;
  auto o = test_options(dir.path());
  auto db = open_db(o);
  ASSERT_TRUE(db);
  auto c = Connection::open(o.path, Connection::Mode::read_only, 1000);
  EXPECT_EQ(c.query_text("PRAGMA journal_mode"), "wal");
  auto r = db->writer().call(
      [](Connection& w) -> Result<std::string> { return w.query_text("PRAGMA foreign_keys"); });
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "1");
}

TEST(Database, ReopenKeepsDataAndDoesNotReapplyMigrations) {
  TempDir dir;
  auto o = test_options(dir.path());
  {
    auto db = open_db(o);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->devices().create(NewDevice{.id = "d1"}));
  }
  auto db = open_db(o);
  ASSERT_TRUE(db);
  EXPECT_TRUE(db->devices().get("d1"));
  auto c = Connection::open(o.path, Connection::Mode::read_only, 1000);
  EXPECT_EQ(c.query_text("SELECT count(*) FROM schema_version"),
            std::to_string(migrations().size()));
}

TEST(Database, NewerSchemaVersionRefusesToStart) {
  TempDir dir;
  auto o = test_options(dir.path());
  { ASSERT_TRUE(open_db(o)); }
  {
    auto c = Connection::open(o.path, Connection::Mode::read_write_create, 1000);
    c.exec("INSERT INTO schema_version(version, applied_ms) VALUES(999, 0)");
  }
  auto r = Database::open(o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "schema_too_new");
  EXPECT_NE(r.error().message.find("999"), std::string::npos) << r.error().message;
}

TEST(Database, UnwritableFolderIsAClearError) {
  TempDir dir;
  auto blocker = dir.path() / "file";
  {
    std::FILE* f = std::fopen(blocker.c_str(), "w");
    std::fclose(f);
  }
  auto o = test_options(dir.path());
  o.path = blocker / "sub" / "trellis.db";
  auto r = Database::open(o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "storage");
}

TEST(Migrations, AppliesOnlyTheMissingOnesInOrder) {
  TempDir dir;
  auto c = Connection::open(dir.path() / "m.db", Connection::Mode::read_write_create, 1000);
  const Migration v1[] = {{1, "CREATE TABLE a(x INTEGER);"}};
  const Migration v2[] = {{1, "CREATE TABLE a(x INTEGER);"},
                          {2, "ALTER TABLE a ADD COLUMN y TEXT; INSERT INTO a VALUES(1, 'one');"}};
  auto r1 = apply_migrations(c, v1);
  ASSERT_TRUE(r1);
  EXPECT_EQ(*r1, 1);
  auto r2 = apply_migrations(c, v2);
  ASSERT_TRUE(r2) << r2.error().message;
  EXPECT_EQ(*r2, 2);
  EXPECT_EQ(c.query_text("SELECT y FROM a"), "one");
  auto again = apply_migrations(c, v2);
  ASSERT_TRUE(again);
  EXPECT_EQ(c.query_text("SELECT count(*) FROM a"), "1");
}

TEST(Migrations, AFailingMigrationLeavesNothingBehind) {
  TempDir dir;
  auto c = Connection::open(dir.path() / "m.db", Connection::Mode::read_write_create, 1000);
  const Migration bad[] = {{1, "CREATE TABLE a(x INTEGER);"}, {2, "THIS IS NOT SQL;"}};
  auto r = apply_migrations(c, bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "storage");
  EXPECT_EQ(current_schema_version(c), 0);
  EXPECT_EQ(c.query_text("SELECT count(*) FROM sqlite_master WHERE name = 'a'"), "0");
}

TEST(Statement, CachedStatementsAreReusedAndNestedUseGetsItsOwn) {
  TempDir dir;
  auto c = Connection::open(dir.path() / "s.db", Connection::Mode::read_write_create, 1000);
  c.exec("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES(1), (2), (3);");
  auto outer = c.prepare("SELECT x FROM t ORDER BY x");
  int rows = 0;
  while (outer.step()) {
    auto inner = c.prepare("SELECT x FROM t ORDER BY x");  // same SQL while the first is busy
    int n = 0;
    while (inner.step()) ++n;
    EXPECT_EQ(n, 3);
    ++rows;
  }
  EXPECT_EQ(rows, 3);
  auto ins = c.prepare("INSERT INTO t VALUES(?)");
  for (int i = 0; i < 3; ++i) {
    ins.bind(1, int64_t{10 + i});
    ins.run();
  }
  EXPECT_EQ(c.query_text("SELECT count(*) FROM t"), "6");
}

TEST(Statement, ErrorsCarryTheExtendedCode) {
  TempDir dir;
  auto c = Connection::open(dir.path() / "s.db", Connection::Mode::read_write_create, 1000);
  c.exec("CREATE TABLE t(x INTEGER PRIMARY KEY)");
  c.prepare("INSERT INTO t VALUES(1)").run();
  try {
    c.prepare("INSERT INTO t VALUES(1)").run();
    FAIL() << "no error";
  } catch (const SqlError& e) {
    EXPECT_TRUE(e.is_constraint());
    EXPECT_EQ(e.code(), SQLITE_CONSTRAINT_PRIMARYKEY);
  }
}

}  // namespace
}  // namespace trellis::db
