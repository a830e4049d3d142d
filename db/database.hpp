#pragma once
// The SQLite database of one trellis process: opens (and creates) the file,
// applies schema migrations, starts the single writer and owns the read pool
// and every store. Writes from all stores go through writer(); reads take a
// connection from readers(). Thread-safe; close() (or the destructor) drains
// every queued write before it returns.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>

#include "core/result.hpp"
#include "db/reader_pool.hpp"
#include "db/writer.hpp"

namespace trellis::db {

class DeviceStore;
class ApplicationStore;
class TelemetryStore;
class CommandStore;
class RetainedStore;
class SessionStore;

struct DatabaseOptions {
  std::filesystem::path path = "data/trellis.db";  // parent folders are created
  int busy_timeout_ms = 5000;
  std::size_t max_idle_readers = 4;
  std::size_t batch_size = 50000;                  // telemetry.batch_size
  std::chrono::milliseconds flush_interval{200};   // telemetry.flush_interval_ms
  std::size_t telemetry_backlog_bytes = 64 << 20;  // telemetry.max_backlog_mb
  int password_iterations = 10000;                 // PBKDF2 rounds for new hashes
};

class Database {
 public:
  // Errors: "schema_too_new" (a newer build wrote it), "storage".
  static Result<std::unique_ptr<Database>> open(DatabaseOptions opts);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Everything queued before the call is committed when it returns.
  Status flush();
  // Stops background work, drains the writer and refuses later writes.
  void close();

  int schema_version() const { return schema_version_; }
  const DatabaseOptions& options() const { return opts_; }

  DeviceStore& devices() { return *devices_; }
  ApplicationStore& applications() { return *applications_; }
  TelemetryStore& telemetry() { return *telemetry_; }
  CommandStore& commands() { return *commands_; }
  RetainedStore& retained() { return *retained_; }
  SessionStore& sessions() { return *sessions_; }

  Writer& writer() { return *writer_; }
  ReaderPool& readers() { return *readers_; }

  // Changes after every committed change to devices or applications, so
  // caches of credentials know when to forget.
  uint64_t registry_generation() const { return generation_.load(std::memory_order_acquire); }
  void registry_changed() { generation_.fetch_add(1, std::memory_order_acq_rel); }

 private:
  explicit Database(DatabaseOptions opts);

  DatabaseOptions opts_;
  int schema_version_ = 0;
  std::atomic<uint64_t> generation_{1};
  std::unique_ptr<ReaderPool> readers_;
  std::unique_ptr<Writer> writer_;
  std::unique_ptr<TelemetryStore> telemetry_;
  std::unique_ptr<DeviceStore> devices_;
  std::unique_ptr<ApplicationStore> applications_;
  std::unique_ptr<CommandStore> commands_;
  std::unique_ptr<RetainedStore> retained_;
  std::unique_ptr<SessionStore> sessions_;
};

}  // namespace trellis::db
