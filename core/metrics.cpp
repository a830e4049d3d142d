#include "core/metrics.hpp"

#include <sstream>

namespace trellis {

Metrics::Family& Metrics::family(const std::string& name, const std::string& help,
                                 const char* type) {
  auto [it, inserted] = families_.try_emplace(name);
  if (inserted) {
    it->second.help = help;
    it->second.type = type;
  }
  return it->second;
}

Counter& Metrics::counter(const std::string& name, const std::string& help,
                          const std::string& labels) {
  std::lock_guard lock(mu_);
  auto& f = family(name, help, "counter");
  auto [it, inserted] = f.counters.try_emplace(labels, nullptr);
  if (inserted) it->second = &counter_storage_.emplace_back();
  return *it->second;
}

Gauge& Metrics::gauge(const std::string& name, const std::string& help, const std::string& labels) {
  std::lock_guard lock(mu_);
  auto& f = family(name, help, "gauge");
  auto [it, inserted] = f.gauges.try_emplace(labels, nullptr);
  if (inserted) it->second = &gauge_storage_.emplace_back();
  return *it->second;
}

void Metrics::gauge_fn(const std::string& name, const std::string& help, const std::string& labels,
                       std::function<int64_t()> read) {
  std::lock_guard lock(mu_);
  family(name, help, "gauge").readers[labels] = std::move(read);
}

void Metrics::counter_fn(const std::string& name, const std::string& help,
                         const std::string& labels, std::function<uint64_t()> read) {
  std::lock_guard lock(mu_);
  family(name, help, "counter").readers[labels] = [read = std::move(read)] {
    return static_cast<int64_t>(read());
  };
}

int64_t Metrics::value(const std::string& name, const std::string& labels) const {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  const auto& f = it->second;
  if (auto c = f.counters.find(labels); c != f.counters.end()) {
    return static_cast<int64_t>(c->second->value());
  }
  if (auto g = f.gauges.find(labels); g != f.gauges.end()) return g->second->value();
  if (auto r = f.readers.find(labels); r != f.readers.end()) return r->second();
  return 0;
}

std::string Metrics::prometheus() const {
  std::lock_guard lock(mu_);
  std::ostringstream out;
  auto series = [&](const std::string& name, const std::string& labels, auto value) {
    out << name;
    if (!labels.empty()) out << '{' << labels << '}';
    out << ' ' << value << '\n';
  };
  for (const auto& [name, f] : families_) {
    out << "# HELP " << name << ' ' << f.help << '\n';
    out << "# TYPE " << name << ' ' << f.type << '\n';
    for (const auto& [labels, c] : f.counters) series(name, labels, c->value());
    for (const auto& [labels, g] : f.gauges) series(name, labels, g->value());
    for (const auto& [labels, r] : f.readers) series(name, labels, r());
  }
  return out.str();
}

}  // namespace trellis
