#include "core/backlog.hpp"

#include <algorithm>

namespace trellis {

thread_local Backlog* Backlog::pushed_back_here_ = nullptr;

Backlog::Backlog(std::size_t limit)
    : limit_(std::max<std::size_t>(limit, 1)), resume_at_(limit_ / 2) {}

void Backlog::add(std::size_t n) {
  std::lock_guard lock(mu_);
  size_ += n;
  peak_ = std::max(peak_, size_);
  if (!full_ && size_ > limit_) {
    full_ = true;
    ++times_full_;
  }
  if (full_) pushed_back_here_ = this;
}

void Backlog::remove(std::size_t n) {
  std::vector<std::function<void()>> resume;
  {
    std::lock_guard lock(mu_);
    size_ -= std::min(n, size_);
    if (!full_ || size_ > resume_at_) return;
    full_ = false;
    resume.swap(waiting_);
  }
  // Unlocked: a callback may add or wait again.
  for (auto& r : resume) r();
}

void Backlog::on_drained(std::function<void()> resume) {
  {
    std::lock_guard lock(mu_);
    if (full_) {
      waiting_.push_back(std::move(resume));
      return;
    }
  }
  resume();
}

std::size_t Backlog::size() const {
  std::lock_guard lock(mu_);
  return size_;
}

std::size_t Backlog::peak() const {
  std::lock_guard lock(mu_);
  return peak_;
}

bool Backlog::full() const {
  std::lock_guard lock(mu_);
  return full_;
}

uint64_t Backlog::times_full() const {
  std::lock_guard lock(mu_);
  return times_full_;
}

}  // namespace trellis
