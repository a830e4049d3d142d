#pragma once
// A handler that throws is a bug, but one peer's odd message must not take
// every other connection down with it (nor unwind through a C library's
// frames). survive_throw runs a step and, when it throws, logs "a handler
// threw" at error (the integration tests fail on that line), counts it and
// returns false. The line is limited like other peer-driven lines: a peer
// that found such a bug cannot flood the log with it.
#include <exception>
#include <string_view>

#include "core/log.hpp"
#include "core/metrics.hpp"

namespace trellis {

inline Counter& handler_exceptions(Metrics& m) {
  return m.counter("trellis_handler_exceptions_total",
                   "exceptions a handler let out (each a bug), logged and survived");
}

template <typename Step>
bool survive_throw(Counter& thrown, std::string_view component, Step&& step) {
  const char* what = "not a std::exception";
  try {
    step();
    return true;
  } catch (const std::exception& e) {
    thrown.add();
    TLOG_LIMITED(error, component) << "a handler threw; carrying on" << log::kv("what", e.what());
    return false;
  } catch (...) {
    thrown.add();
    TLOG_LIMITED(error, component) << "a handler threw; carrying on" << log::kv("what", what);
    return false;
  }
}

}  // namespace trellis
