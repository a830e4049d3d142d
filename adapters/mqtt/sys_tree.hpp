#pragma once
// Publishes the broker's own figures under $SYS/broker/ every interval, as
// Mosquitto names them, retained so a new subscriber sees them at once.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <string>

#include "adapters/mqtt/broker.hpp"

namespace trellis::mqtt {

class SysTree {
 public:
  SysTree(boost::asio::io_context& io, Broker& broker, std::chrono::seconds interval);
  // Publishes every topic once, then again every interval on the io_context.
  // Call it before the io_context runs; a no-op when the interval is 0.
  void start();
  void stop();

 private:
  // Exponentially smoothed per-minute rates over 1, 5 and 15 minutes.
  struct Load {
    double m1 = 0, m5 = 0, m15 = 0;
    uint64_t last = 0;
    bool primed = false;
  };
  // Publishes every topic once now.
  void publish_now();
  void wait_then_tick();
  void update_load(const std::string& name, uint64_t total, double seconds);
  void put(const std::string& topic, const std::string& value);

  Broker& broker_;
  std::chrono::seconds interval_;
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point started_;
  std::string started_at_;  // UTC, ISO 8601
  std::chrono::steady_clock::time_point last_tick_;
  std::map<std::string, Load> loads_;
};

}  // namespace trellis::mqtt
