#pragma once
// Versioned schema migrations. Each migration is a batch of SQL applied once,
// in order; `schema_version` remembers which ones ran. A database written by a
// newer build (a version this build does not know) is refused rather than
// guessed at.
#include <span>
#include <string_view>

#include "core/result.hpp"
#include "db/sqlite.hpp"

namespace trellis::db {

struct Migration {
  int version;
  std::string_view sql;
};

// The migrations this build knows, oldest first; versions 1, 2, 3, ...
std::span<const Migration> migrations();

// Brings the database up to the last of `list` inside one transaction and
// returns the resulting version. Errors: "schema_too_new", "storage".
Result<int> apply_migrations(Connection& c, std::span<const Migration> list);

// The version recorded in the database; 0 for a fresh file.
int current_schema_version(Connection& c);

}  // namespace trellis::db
