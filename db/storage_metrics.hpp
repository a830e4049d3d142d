#pragma once
// The database's own figures on /metrics: how much telemetry was stored or
// dropped, and how much work waits for the single writer. A writer queue that
// keeps growing is the first sign that the disk cannot keep up.
#include "core/metrics.hpp"
#include "db/database.hpp"

namespace trellis::db {

// Read on every scrape; `db` must outlive every read of `metrics`.
void export_storage_metrics(Database& db, Metrics& metrics);

}  // namespace trellis::db
