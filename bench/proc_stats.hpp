#pragma once
// What a process has spent, read from /proc: the server's CPU time and
// resident memory, which the benchmarks divide by the work done. Each reader
// answers -1 when the process or its file is not there, and the result line
// then shows "-" rather than a made-up figure.
#include <sys/resource.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

namespace trellis::bench {

// On-CPU nanoseconds summed over the live threads' /proc/<pid>/task/*/schedstat.
// Fine enough for a run of a second, but threads that have exited are not counted.
inline int64_t live_threads_cpu_ns(int pid) {
  if (pid <= 0) return -1;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  std::error_code ec;
  uint64_t ns = 0;
  bool any = false;
  for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
    std::ifstream f(task.path() / "schedstat");
    uint64_t on_cpu = 0;
    if (f >> on_cpu) {
      ns += on_cpu;
      any = true;
    }
  }
  return any ? static_cast<int64_t>(ns) : -1;
}

// utime + stime from /proc/<pid>/stat in nanoseconds: exited threads
// included, but in clock ticks (10 ms), too coarse for a short run.
inline int64_t stat_cpu_ns(int pid) {
  if (pid <= 0) return -1;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return -1;
  // Fields 14 and 15, counted after the command name's closing ')' (it may hold spaces).
  auto close = line.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  uint64_t ticks = 0;
  for (int n = 3; rest >> field && n <= 15; ++n) {
    if (n >= 14) ticks += std::stoull(field);
  }
  return static_cast<int64_t>(ticks * 1'000'000'000 / static_cast<uint64_t>(sysconf(_SC_CLK_TCK)));
}

// The live threads' figure when there is one; a server keeps its threads for
// its lifetime, so none is missed.
inline int64_t cpu_ns(int pid) {
  const int64_t ns = live_threads_cpu_ns(pid);
  return ns >= 0 ? ns : stat_cpu_ns(pid);
}

// A figure in KiB from /proc/<pid>/status ("VmRSS:", "VmHWM:").
inline int64_t status_kb(int pid, const std::string& field) {
  if (pid <= 0) return -1;
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(field, 0) == 0) return std::atoll(line.c_str() + field.size());
  }
  return -1;
}

inline int64_t rss_kb(int pid) {
  return status_kb(pid, "VmRSS:");
}

// The largest resident memory the process has had.
inline int64_t peak_rss_kb(int pid) {
  return status_kb(pid, "VmHWM:");
}

// Time the hypervisor gave to other guests while this machine's CPUs had work
// ("steal" in /proc/stat, summed over the CPUs), in milliseconds. It stalls
// whatever runs on the stolen CPU, broker and load generator alike.
inline int64_t machine_steal_ms() {
  std::ifstream f("/proc/stat");
  std::string name;
  if (!(f >> name) || name != "cpu") return -1;
  uint64_t ticks[8] = {};  // user nice system idle iowait irq softirq steal
  for (auto& t : ticks) {
    if (!(f >> t)) return -1;
  }
  return static_cast<int64_t>(ticks[7] * 1000 / static_cast<uint64_t>(sysconf(_SC_CLK_TCK)));
}

// This process's user + system time in microseconds: on a small machine the
// bench competes with the server for the same cores.
inline int64_t own_cpu_us() {
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) != 0) return -1;
  const auto us = [](const timeval& t) { return int64_t(t.tv_sec) * 1'000'000 + t.tv_usec; };
  return us(ru.ru_utime) + us(ru.ru_stime);
}

}  // namespace trellis::bench
