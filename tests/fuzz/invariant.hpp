#pragma once
// How every fuzz target reports a broken invariant: a message and abort(),
// which libFuzzer records as a crash together with the input that caused it.
#include <cstdio>
#include <cstdlib>

namespace trellis::fuzz {

inline void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

}  // namespace trellis::fuzz
