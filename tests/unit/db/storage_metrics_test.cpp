// The database's figures on /metrics follow what the stores and the writer did.
#include "db/storage_metrics.hpp"

#include <gtest/gtest.h>

#include "db/device_store.hpp"
#include "db/telemetry_store.hpp"
#include "db_test_util.hpp"

namespace trellis::db {
namespace {

using testing::open_db;
using testing::TempDir;
using testing::test_options;

TEST(StorageMetrics, CountStoredAndDroppedPointsAndTheWriterQueue) {
  TempDir dir;
  auto db = open_db(test_options(dir.path()));
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->devices().create(NewDevice{.id = "meter"}));
  Metrics metrics;
  export_storage_metrics(*db, metrics);
  const int64_t batches_before = metrics.value("trellis_db_batches_total");

  db->telemetry().enqueue({Point{"meter", "kwh", 1, 1.5}, Point{"meter", "kwh", 2, 2.5},
                           Point{"meter", "v", 2, 230.0}, Point{"ghost", "kwh", 1, 1.0}});
  ASSERT_TRUE(db->flush());

  EXPECT_EQ(metrics.value("trellis_telemetry_points_stored_total"), 3);
  EXPECT_EQ(metrics.value("trellis_telemetry_points_dropped_total"), 1);
  EXPECT_EQ(metrics.value("trellis_telemetry_points_purged_total"), 0);
  EXPECT_EQ(metrics.value("trellis_db_write_queue_points"), 0);
  EXPECT_EQ(metrics.value("trellis_db_write_queue_jobs"), 0);
  EXPECT_GT(metrics.value("trellis_db_batches_total"), batches_before);
  EXPECT_EQ(metrics.value("trellis_db_jobs_failed_total"), 0);
  EXPECT_EQ(metrics.value("trellis_db_points_lost_total"), 0);

  const std::string text = metrics.prometheus();
  EXPECT_NE(text.find("# TYPE trellis_telemetry_points_stored_total counter\n"
                      "trellis_telemetry_points_stored_total 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE trellis_db_write_queue_points gauge\n"
                      "trellis_db_write_queue_points 0\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace trellis::db
