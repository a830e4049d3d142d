#pragma once
// Wires the modules into one running server: reads the typed config, opens the
// database, starts the bus consumers and the protocol adapters, and shuts it
// all down in order.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "adapters/mqtt/broker.hpp"
#include "config/config.hpp"
#include "core/auth.hpp"
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
  std::optional<std::string> device_of(const std::string& client_id, const Principal& who);
  void publish_presence(const std::string& device, const std::string& protocol, bool online,
                        int64_t time_ms);
  Status restore_broker_state();
  // Queues a save of every persistent MQTT session, all at once (retained
  // messages are stored as they change); returns how many.
  std::size_t save_broker_state();
  void schedule_autosave();

  struct Parts;
  const config::Config& cfg_;
  boost::asio::io_context io_;
  std::unique_ptr<Parts> parts_;
  std::vector<mqtt::Broker::SessionSnapshot> restored_sessions_;
};

}  // namespace trellis::app
