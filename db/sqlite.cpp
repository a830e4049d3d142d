#include "db/sqlite.hpp"

#include <sqlite3.h>

#include <utility>

namespace trellis::db {

namespace {

[[noreturn]] void fail(sqlite3* db, int rc, std::string_view context) {
  std::string what(context);
  what += ": ";
  what += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw SqlError(db ? sqlite3_extended_errcode(db) : rc, what);
}

}  // namespace

// ---- Statement ----

Statement::Statement(sqlite3_stmt* stmt, sqlite3* db, bool* in_use)
    : stmt_(stmt), db_(db), in_use_(in_use) {}

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), db_(other.db_), in_use_(other.in_use_) {}

Statement::~Statement() {
  if (!stmt_) return;
  if (in_use_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    *in_use_ = false;
  } else {
    sqlite3_finalize(stmt_);
  }
}

void Statement::check(int rc) const {
  if (rc != SQLITE_OK) fail(db_, rc, sqlite3_sql(stmt_));
}

Statement& Statement::bind(int i, int64_t v) {
  check(sqlite3_bind_int64(stmt_, i, v));
  return *this;
}

Statement& Statement::bind(int i, double v) {
  check(sqlite3_bind_double(stmt_, i, v));
  return *this;
}

Statement& Statement::bind(int i, std::string_view text) {
  check(sqlite3_bind_text64(stmt_, i, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

Statement& Statement::bind(int i, std::nullptr_t) {
  check(sqlite3_bind_null(stmt_, i));
  return *this;
}

Statement& Statement::bind_blob(int i, std::string_view bytes) {
  // A zero-length blob is still a blob, not NULL: SQLite needs a non-null pointer.
  static const char empty = 0;
  check(sqlite3_bind_blob64(stmt_, i, bytes.empty() ? &empty : bytes.data(), bytes.size(),
                            SQLITE_STATIC));
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) {
    sqlite3_reset(stmt_);
    return false;
  }
  // Reset so the cached statement is reusable; the error code stays on the handle.
  sqlite3_reset(stmt_);
  fail(db_, rc, sqlite3_sql(stmt_));
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
}

bool Statement::is_null(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

int64_t Statement::column_int(int col) const {
  return sqlite3_column_int64(stmt_, col);
}

double Statement::column_double(int col) const {
  return sqlite3_column_double(stmt_, col);
}

std::string Statement::column_text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(p, static_cast<std::size_t>(n)) : std::string();
}

std::optional<std::string> Statement::column_optional_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return column_text(col);
}

std::string Statement::column_blob(int col) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(p, static_cast<std::size_t>(n)) : std::string();
}

// ---- Connection ----

Connection::Connection(sqlite3* db) : db_(db) {}

Connection::Connection(Connection&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), cache_(std::move(other.cache_)) {}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    close();
    db_ = std::exchange(other.db_, nullptr);
    cache_ = std::move(other.cache_);
  }
  return *this;
}

Connection::~Connection() {
  close();
}

void Connection::close() {
  for (auto& [sql, cached] : cache_) sqlite3_finalize(cached->stmt);
  cache_.clear();
  if (db_) sqlite3_close_v2(db_);
  db_ = nullptr;
}

Connection Connection::open(const std::filesystem::path& path, Mode mode, int busy_timeout_ms) {
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  flags |=
      mode == Mode::read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string what =
        "cannot open " + path.string() + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    if (db) sqlite3_close_v2(db);
    throw SqlError(rc, what);
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  return Connection(db);
}

Statement Connection::prepare(std::string_view sql) {
  auto& slot = cache_[std::string(sql)];
  if (!slot) slot = std::make_unique<Cached>();
  if (slot->stmt && !slot->in_use) {
    slot->in_use = true;
    return Statement(slot->stmt, db_, &slot->in_use);
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) fail(db_, rc, sql);
  if (!slot->stmt) {
    slot->stmt = stmt;
    slot->in_use = true;
    return Statement(stmt, db_, &slot->in_use);
  }
  // The cached one is busy (a nested use of the same SQL): a one-off copy.
  return Statement(stmt, db_, nullptr);
}

void Connection::exec(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string what = text.substr(0, 80) + ": " + (err ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    throw SqlError(sqlite3_extended_errcode(db_), what);
  }
}

std::string Connection::query_text(std::string_view sql) {
  auto st = prepare(sql);
  return st.step() ? st.column_text(0) : std::string();
}

int64_t Connection::changes() const {
  return sqlite3_changes64(db_);
}

int64_t Connection::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}

// ---- Transaction ----

Transaction::Transaction(Connection& c, Kind kind) : c_(c) {
  c_.exec(kind == Kind::immediate ? "BEGIN IMMEDIATE" : "BEGIN");
}

Transaction::~Transaction() {
  if (!open_) return;
  try {
    c_.exec("ROLLBACK");
  } catch (const SqlError&) {
    // SQLite may already have rolled back (e.g. after SQLITE_FULL); nothing left to undo.
  }
}

void Transaction::commit() {
  c_.exec("COMMIT");
  open_ = false;
}

}  // namespace trellis::db
