#pragma once
// Named counters and gauges shared by every module. Creating one takes a lock;
// updating one is a relaxed atomic, so hot paths keep the reference they got.
// Rendered as Prometheus text for GET /metrics and read by the $SYS publisher.
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace trellis {

class Counter {
 public:
  void add(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Gauge {
 public:
  void set(int64_t v) { v_.store(v, std::memory_order_relaxed); }
  void add(int64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  void sub(int64_t n = 1) { v_.fetch_sub(n, std::memory_order_relaxed); }
  int64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

class Metrics {
 public:
  // `labels` is Prometheus label text without braces, e.g. `protocol="mqtt"`.
  // The same name and labels always give the same object.
  Counter& counter(const std::string& name, const std::string& help,
                   const std::string& labels = "");
  Gauge& gauge(const std::string& name, const std::string& help, const std::string& labels = "");
  // A gauge computed when read (queue depths, sizes owned elsewhere).
  void gauge_fn(const std::string& name, const std::string& help, const std::string& labels,
                std::function<int64_t()> read);
  // The same for a count that only grows and is kept elsewhere.
  void counter_fn(const std::string& name, const std::string& help, const std::string& labels,
                  std::function<uint64_t()> read);

  std::string prometheus() const;
  // Current value of a counter or gauge; 0 when it does not exist.
  int64_t value(const std::string& name, const std::string& labels = "") const;

 private:
  struct Family {
    std::string help;
    std::string type;  // "counter" or "gauge"
    std::map<std::string, Counter*> counters;
    std::map<std::string, Gauge*> gauges;
    std::map<std::string, std::function<int64_t()>> readers;
  };
  Family& family(const std::string& name, const std::string& help, const char* type);

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
  std::deque<Counter> counter_storage_;
  std::deque<Gauge> gauge_storage_;
};

}  // namespace trellis
