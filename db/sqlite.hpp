#pragma once
// The one way this module talks to SQLite: a Connection owns a sqlite3 handle
// and a cache of prepared statements; a Statement borrows one of them, binds,
// steps and reads columns, and resets itself when it goes out of scope.
// Failures throw SqlError; the stores catch it at their public edge and turn
// it into a Result, so nothing outside `db` ever sees an exception.
//
// A Connection is used by one thread at a time (SQLite's multi-thread mode).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace trellis::db {

class SqlError : public std::runtime_error {
 public:
  SqlError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  // SQLite's extended result code (SQLITE_CONSTRAINT_UNIQUE, SQLITE_BUSY, ...).
  int code() const { return code_; }
  bool is_constraint() const { return (code_ & 0xff) == 19; }  // SQLITE_CONSTRAINT

 private:
  int code_;
};

class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();

  // Parameters are numbered from 1, as in SQLite.
  Statement& bind(int i, int64_t v);
  Statement& bind(int i, int v) { return bind(i, static_cast<int64_t>(v)); }
  Statement& bind(int i, bool v) { return bind(i, static_cast<int64_t>(v ? 1 : 0)); }
  Statement& bind(int i, double v);
  Statement& bind(int i, std::string_view text);
  Statement& bind(int i, const std::string& text) { return bind(i, std::string_view(text)); }
  Statement& bind(int i, const char* text) { return bind(i, std::string_view(text)); }
  Statement& bind(int i, std::nullptr_t);
  template <typename T>
  Statement& bind(int i, const std::optional<T>& v) {
    return v ? bind(i, *v) : bind(i, nullptr);
  }
  // Bytes that are not text (payloads, keys); the caller keeps them alive until step().
  Statement& bind_blob(int i, std::string_view bytes);

  // Binds every argument in order, starting at parameter 1.
  template <typename... A>
  Statement& bind_all(const A&... args) {
    int i = 0;
    (bind(++i, args), ...);
    return *this;
  }

  // True while a row is available; false when done, after which the statement
  // is reset and may be bound and stepped again.
  bool step();
  // Steps to the end, for statements that return no rows.
  void run();
  // Rewinds a statement that was not stepped to the end; bindings stay.
  void reset();

  bool is_null(int col) const;
  int64_t column_int(int col) const;
  double column_double(int col) const;
  std::string column_text(int col) const;
  std::optional<std::string> column_optional_text(int col) const;
  std::string column_blob(int col) const;

 private:
  friend class Connection;
  Statement(sqlite3_stmt* stmt, sqlite3* db, bool* in_use);
  void check(int rc) const;

  sqlite3_stmt* stmt_;
  sqlite3* db_;
  bool* in_use_;  // the cache slot's flag; nullptr for a one-off statement
};

class Connection {
 public:
  enum class Mode { read_write_create, read_only };

  // Opens the file and sets the busy timeout; pragmas are the caller's choice.
  static Connection open(const std::filesystem::path& path, Mode mode, int busy_timeout_ms);

  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  ~Connection();

  // A prepared statement, from the cache when one is free.
  Statement prepare(std::string_view sql);
  // Runs one or more statements that take no parameters (DDL, pragmas, BEGIN).
  void exec(std::string_view sql);
  // The first column of the first row of a parameterless query, as text.
  std::string query_text(std::string_view sql);

  int64_t changes() const;
  int64_t last_insert_rowid() const;
  sqlite3* handle() const { return db_; }

 private:
  explicit Connection(sqlite3* db);
  void close();

  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  sqlite3* db_ = nullptr;
  // Keyed by SQL text; unique_ptr keeps each in_use flag at a stable address.
  std::unordered_map<std::string, std::unique_ptr<Cached>> cache_;
};

// BEGIN on construction; ROLLBACK on destruction unless commit() ran.
class Transaction {
 public:
  enum class Kind { deferred, immediate };
  explicit Transaction(Connection& c, Kind kind = Kind::deferred);
  Transaction(const Transaction&) = delete;
  ~Transaction();
  void commit();

 private:
  Connection& c_;
  bool open_ = true;
};

}  // namespace trellis::db
