#pragma once
// A first-in first-out queue that holds no heap memory while it has never
// been used, and gives large buffers back once drained. std::deque allocates
// a block even when empty, which thousands of idle per-client queues pay for.
#include <cstddef>
#include <utility>
#include <vector>

namespace trellis {

template <class T>
class Fifo {
 public:
  bool empty() const { return head_ == items_.size(); }
  std::size_t size() const { return items_.size() - head_; }

  T& front() { return items_[head_]; }
  const T& front() const { return items_[head_]; }

  void push_back(T value) { items_.push_back(std::move(value)); }

  void pop_front() {
    items_[head_] = T{};  // drop what the element holds now, not at the next compaction
    if (++head_ == items_.size()) {
      items_.clear();
      head_ = 0;
      // A queue that held a burst returns to its idle footprint.
      if (items_.capacity() > kKeptCapacity) std::vector<T>().swap(items_);
    } else if (head_ >= kKeptCapacity && head_ * 2 >= items_.size()) {
      // Consumed slots at the front are reclaimed in amortised O(1).
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

  auto begin() const { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  auto end() const { return items_.end(); }

 private:
  static constexpr std::size_t kKeptCapacity = 8;
  std::vector<T> items_;
  std::size_t head_ = 0;
};

}  // namespace trellis
