#pragma once
// The REST API's HTTP/1.1 server: a listener accepting connections and one
// session per connection on its own strand (keep-alive, one request at a time,
// a body limit). Requests go to the Api, which owns the route table.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace trellis {
class Bus;
class Metrics;
class ClientSource;
class CommandTarget;
namespace db {
class Database;
}
namespace objects {
class ObjectRegistry;
}
}  // namespace trellis

namespace trellis::webapi {

struct HttpServerOptions {
  std::string bind = "127.0.0.1";                // http.bind
  uint16_t port = 8080;                          // http.port; 0 picks a free port
  std::vector<std::string> api_keys{};           // http.api_keys
  std::size_t max_body_size = 1048576;           // http.max_body_size
  std::chrono::seconds command_timeout{60};      // commands.timeout_s
  std::size_t command_backlog_bytes = 16 << 20;  // commands.max_backlog_mb
  std::filesystem::path objects_dir{};           // uploaded object XML lands here; empty: not kept
  std::chrono::seconds idle_timeout{120};        // a keep-alive connection idle this long is closed
  std::chrono::seconds lwm2m_default_wait{5};    // ?timeout= of an LwM2M command when absent
  // Where an application would send an LwM2M command over MQTT,
  // {lwm2m_topic_prefix}/{endpoint}/{lwm2m_command_topic}: its ACL must allow
  // that to send one over REST.
  std::string lwm2m_topic_prefix = "lwm2m";  // lwm2m.topic_prefix
  std::string lwm2m_command_topic = "dn/#";  // lwm2m.topics.command
};

// What the API reaches; everything outlives the HttpServer.
struct Services {
  Bus& bus;
  Metrics& metrics;
  db::Database& db;
  objects::ObjectRegistry* objects = nullptr;  // null: the /objects routes answer 503
  std::vector<ClientSource*> clients{};
  CommandTarget* lwm2m_commands = nullptr;  // null: LwM2M commands answer 503
};

class Api;
class CommandService;
class Listener;

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, HttpServerOptions options, Services services);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting, and starts the command service.
  Status start();
  // Stops accepting, closes open connections and stops the command service.
  void stop();
  // The bound port (the chosen one when options.port was 0).
  uint16_t port() const;

 private:
  boost::asio::io_context& io_;
  HttpServerOptions options_;
  std::shared_ptr<CommandService> commands_;
  std::shared_ptr<Api> api_;
  std::shared_ptr<Listener> listener_;
};

}  // namespace trellis::webapi
