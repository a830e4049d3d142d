#pragma once
// Read-only connections for queries, so reads never wait on the writer (WAL
// lets readers see the last committed state while a write is under way).
// A lease hands one connection to one thread; idle ones are kept for reuse.
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "db/sqlite.hpp"

namespace trellis::db {

class ReaderPool {
 public:
  ReaderPool(std::filesystem::path path, int busy_timeout_ms, std::size_t max_idle);

  class Lease {
   public:
    Lease(ReaderPool& pool, std::unique_ptr<Connection> c) : pool_(&pool), c_(std::move(c)) {}
    Lease(Lease&&) noexcept = default;
    Lease(const Lease&) = delete;
    ~Lease();
    Connection& operator*() { return *c_; }
    Connection* operator->() { return c_.get(); }

   private:
    ReaderPool* pool_;
    std::unique_ptr<Connection> c_;
  };

  // An idle connection, or a new one; throws SqlError when it cannot open.
  Lease acquire();

 private:
  void give_back(std::unique_ptr<Connection> c);

  std::filesystem::path path_;
  int busy_timeout_ms_;
  std::size_t max_idle_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace trellis::db
