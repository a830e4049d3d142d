#pragma once
// Error codes the stores return, stable so the REST layer can map them to
// HTTP statuses: not_found 404, conflict 409, invalid_argument 400,
// unavailable 503 (closed or shutting down), storage 500.
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "db/sqlite.hpp"

namespace trellis::db::errc {

inline constexpr std::string_view not_found = "not_found";
inline constexpr std::string_view conflict = "conflict";
inline constexpr std::string_view invalid_argument = "invalid_argument";
inline constexpr std::string_view unavailable = "unavailable";
inline constexpr std::string_view storage = "storage";

}  // namespace trellis::db::errc

namespace trellis::db {

inline Error error(std::string_view code, std::string message) {
  return make_error(std::string(code), std::move(message));
}

// A constraint failure is a conflict with stored data (a duplicate key, a
// reference to a row that is gone); anything else is the storage's fault.
inline Error storage_error(const SqlError& e) {
  if (e.is_constraint()) return error(errc::conflict, std::string("conflict: ") + e.what());
  return error(errc::storage, std::string("database error: ") + e.what());
}

// Runs a read or write body and turns a SqlError into a storage error, so the
// public functions of every store share one shape.
template <typename F>
auto guarded(F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const SqlError& e) {
    return storage_error(e);
  }
}

}  // namespace trellis::db
