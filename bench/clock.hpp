#pragma once
// Time in the benchmarks: the steady clock only, so a wall-clock step never
// shows as a rate; options give their durations in (fractional) seconds.
#include <chrono>

namespace trellis::bench {

using Clock = std::chrono::steady_clock;

inline Clock::duration secs(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

inline double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace trellis::bench
