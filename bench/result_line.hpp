#pragma once
// The one line a benchmark prints per run: space-separated key=value pairs,
// which the driver scripts take apart by key.
#include <cstdio>
#include <sstream>
#include <string>

namespace trellis::bench {

class Line {
 public:
  template <typename T>
  Line& kv(const char* key, const T& value) {
    s_ << (s_.tellp() > 0 ? " " : "") << key << "=" << value;
    return *this;
  }

  // Quoted, as it holds spaces; left out when there was none.
  Line& error(const std::string& first_error) {
    if (!first_error.empty()) kv("error", "\"" + first_error + "\"");
    return *this;
  }

  // Flushed at once: a driver that kills a late run still gets the line.
  void print() {
    std::printf("%s\n", s_.str().c_str());
    std::fflush(stdout);
  }

 private:
  std::ostringstream s_;
};

// `digits` places after the point, whatever the stream's state.
inline std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace trellis::bench
