#include "db/database.hpp"

#include <system_error>

#include "db/application_store.hpp"
#include "db/command_store.hpp"
#include "db/device_store.hpp"
#include "db/errors.hpp"
#include "db/retained_store.hpp"
#include "db/schema.hpp"
#include "db/session_store.hpp"
#include "db/telemetry_store.hpp"

namespace trellis::db {

Database::Database(DatabaseOptions opts) : opts_(std::move(opts)) {}

Result<std::unique_ptr<Database>> Database::open(DatabaseOptions opts) {
  std::unique_ptr<Database> db(new Database(std::move(opts)));
  const auto& path = db->opts_.path;
  auto parent = path.parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return error(errc::storage, "cannot create folder " + parent.string() + ": " + ec.message());
    }
  }
  try {
    auto conn =
        Connection::open(path, Connection::Mode::read_write_create, db->opts_.busy_timeout_ms);
    // WAL lets readers run while the writer commits; NORMAL sync keeps every
    // commit across a process crash (not across power loss) without an fsync each.
    auto mode = conn.query_text("PRAGMA journal_mode=WAL");
    if (mode != "wal") {
      return error(errc::storage,
                   path.string() + ": cannot use WAL mode (journal_mode is '" + mode + "')");
    }
    conn.exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
    // This connection becomes the writer. A telemetry batch from many devices
    // changes pages all over the index; SQLite's 2 MiB default cache spills
    // them mid-transaction and reads them back, so it gets 32 MiB.
    conn.exec("PRAGMA cache_size=-32768;");
    auto version = apply_migrations(conn, migrations());
    if (!version) return version.error();
    db->schema_version_ = *version;

    db->readers_ =
        std::make_unique<ReaderPool>(path, db->opts_.busy_timeout_ms, db->opts_.max_idle_readers);
    db->readers_->acquire();  // fail now, not on the first query, if readers cannot open
    db->telemetry_ = std::make_unique<TelemetryStore>(*db);
    Writer::Options wo;
    wo.batch_size = db->opts_.batch_size;
    wo.flush_interval = db->opts_.flush_interval;
    db->writer_ = std::make_unique<Writer>(std::move(conn), wo, db->telemetry_.get());
  } catch (const SqlError& e) {
    return storage_error(e);
  }
  db->devices_ = std::make_unique<DeviceStore>(*db, *db->telemetry_);
  db->applications_ = std::make_unique<ApplicationStore>(*db);
  db->commands_ = std::make_unique<CommandStore>(*db);
  db->retained_ = std::make_unique<RetainedStore>(*db);
  db->sessions_ = std::make_unique<SessionStore>(*db);
  return db;
}

Database::~Database() {
  close();
}

Status Database::flush() {
  if (!writer_) return Ok{};
  return writer_->flush();
}

void Database::close() {
  if (telemetry_) telemetry_->close();
  if (writer_) writer_->close();
}

}  // namespace trellis::db
