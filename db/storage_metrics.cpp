#include "db/storage_metrics.hpp"

#include "db/telemetry_store.hpp"

namespace trellis::db {

void export_storage_metrics(Database& db, Metrics& metrics) {
  TelemetryStore* telemetry = &db.telemetry();
  Writer* writer = &db.writer();
  metrics.counter_fn("trellis_telemetry_points_stored_total", "telemetry points committed to disk",
                     "", [telemetry] { return telemetry->stats().written; });
  metrics.counter_fn("trellis_telemetry_points_dropped_total",
                     "telemetry points of unknown devices, or refused while shutting down", "",
                     [telemetry] { return telemetry->stats().dropped; });
  metrics.counter_fn("trellis_telemetry_points_purged_total",
                     "telemetry points deleted by telemetry.retention_days", "",
                     [telemetry] { return telemetry->stats().purged; });
  Backlog* backlog = &telemetry->backlog();
  metrics.gauge_fn("trellis_telemetry_backlog_bytes",
                   "telemetry waiting to be parsed or written, estimated bytes", "",
                   [backlog] { return static_cast<int64_t>(backlog->size()); });
  metrics.gauge_fn("trellis_telemetry_backlog_peak_bytes", "the largest telemetry backlog so far",
                   "", [backlog] { return static_cast<int64_t>(backlog->peak()); });
  metrics.gauge_fn("trellis_telemetry_backlog_limit_bytes", "telemetry.max_backlog_mb in bytes", "",
                   [backlog] { return static_cast<int64_t>(backlog->limit()); });
  metrics.counter_fn("trellis_telemetry_backlog_full_total",
                     "times the telemetry backlog filled and MQTT clients sending telemetry paused",
                     "", [backlog] { return backlog->times_full(); });
  metrics.gauge_fn("trellis_db_write_queue_points", "telemetry points waiting for the writer", "",
                   [writer] { return writer->stats().queued_points; });
  metrics.gauge_fn("trellis_db_write_queue_jobs",
                   "writes (and telemetry messages) waiting for the writer", "",
                   [writer] { return writer->stats().queued_items; });
  metrics.counter_fn("trellis_db_batches_total", "write transactions committed or rolled back", "",
                     [writer] { return writer->stats().batches; });
  metrics.counter_fn("trellis_db_jobs_failed_total", "writes that failed and were rolled back", "",
                     [writer] { return writer->stats().jobs_failed; });
  metrics.counter_fn("trellis_db_points_lost_total",
                     "telemetry points rolled back with a failed transaction", "",
                     [writer] { return writer->stats().points_lost; });
}

}  // namespace trellis::db
