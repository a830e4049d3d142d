#pragma once
// Temporary folders and databases for the db tests.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "db/database.hpp"

namespace trellis::db::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "trellis-db-XXXXXX").string();
    char* p = ::mkdtemp(tmpl.data());
    if (p) path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Few PBKDF2 rounds and a short flush interval keep the tests quick.
inline DatabaseOptions test_options(const std::filesystem::path& dir) {
  DatabaseOptions o;
  o.path = dir / "data" / "trellis.db";
  o.password_iterations = 50;
  o.flush_interval = std::chrono::milliseconds(5);
  return o;
}

inline std::unique_ptr<Database> open_db(const DatabaseOptions& o) {
  auto r = Database::open(o);
  if (!r) {
    ADD_FAILURE() << r.error().code << ": " << r.error().message;
    return nullptr;
  }
  return std::move(*r);
}

}  // namespace trellis::db::testing
