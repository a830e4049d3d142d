#pragma once
// The benchmarks hold one socket per simulated connection or client: a
// thousand of them pass the usual soft limit of 1024 open files.
#include <sys/resource.h>

#include <cstddef>

namespace trellis::bench {

// Up to the hard limit, which needs no privilege.
inline void raise_open_file_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

inline std::size_t open_file_limit() {
  rlimit lim{};
  return getrlimit(RLIMIT_NOFILE, &lim) == 0 ? static_cast<std::size_t>(lim.rlim_cur) : 1024;
}

}  // namespace trellis::bench
