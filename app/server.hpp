#pragma once
// Wires the modules into one running server: reads the typed config, opens the
// database, starts the bus consumers and the protocol adapters, and shuts it
// all down in order.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "core/result.hpp"

namespace trellis::app {

class Server {
 public:
  explicit Server(const config::Config& cfg);
  ~Server();

  // Opens storage and binds every listener; an error leaves nothing running.
  Status start();
  // Runs the io_context on the configured number of threads until stop().
  void run();
  // Stops accepting, closes connections, flushes storage; callable from a signal handler's strand.
  void stop();

 private:
  void drain(std::chrono::steady_clock::time_point give_up);

  struct Parts;
  const config::Config& cfg_;
  boost::asio::io_context io_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace trellis::app
