#include "db/reader_pool.hpp"

namespace trellis::db {

ReaderPool::ReaderPool(std::filesystem::path path, int busy_timeout_ms, std::size_t max_idle)
    : path_(std::move(path)), busy_timeout_ms_(busy_timeout_ms), max_idle_(max_idle) {}

ReaderPool::Lease::~Lease() {
  if (c_) pool_->give_back(std::move(c_));
}

ReaderPool::Lease ReaderPool::acquire() {
  {
    std::lock_guard lk(mu_);
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(c));
    }
  }
  auto c = std::make_unique<Connection>(
      Connection::open(path_, Connection::Mode::read_only, busy_timeout_ms_));
  return Lease(*this, std::move(c));
}

void ReaderPool::give_back(std::unique_ptr<Connection> c) {
  std::lock_guard lk(mu_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(c));
}

}  // namespace trellis::db
