#pragma once
// The LwM2M server adapter: clients register over CoAP (UDP) or CoAP over
// DTLS; applications drive them with EMQX-compatible JSON commands published
// on {prefix}/{endpoint}/dn/#, and read the answers on up/resp, notifications
// on up/notify and registration events on up/resp and up/update.
//
// Owns its libcoap context on one strand of the io_context; the public
// functions below are safe to call from any thread. Destroy it after the
// io_context has stopped running.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/auth.hpp"
#include "core/bus.hpp"
#include "core/clients.hpp"
#include "core/metrics.hpp"
#include "core/result.hpp"
#include "objects/object_registry.hpp"

namespace trellis::lwm2m {

struct ServerTopics {
  std::string command = "dn/#";  // a filter below {prefix}/{endpoint}/
  std::string response = "up/resp";
  std::string notify = "up/notify";
  std::string reg = "up/resp";
  std::string update = "up/update";
};

struct ServerOptions {
  std::string bind = "127.0.0.1";
  uint16_t coap_port = 5683;  // 0: off
  uint16_t dtls_port = 5684;  // 0: off
  std::string topic_prefix = "lwm2m";
  ServerTopics topics;
  std::chrono::seconds lifetime_min{15};
  std::chrono::seconds lifetime_max{86400};
  std::chrono::seconds qmode_time_window{22};
  std::chrono::seconds request_timeout{10};
  bool auto_observe_all = false;                // observe every registered object at registration
  std::vector<std::string> auto_observe_paths;  // or these paths, when the client has them
  std::string dtls_cert;  // PEM files for DTLS with certificates; empty: PSK only
  std::string dtls_key;
  std::string dtls_ca;
  std::size_t max_queued_commands = 100;  // per sleeping client
};

// A registered client, for the REST API and the dashboard.
struct ClientSummary {
  std::string endpoint;
  std::string device_id;
  std::string location;  // "/rd/{id}"
  std::string version;   // LwM2M version
  std::string binding;
  std::string transport;  // "udp" or "dtls"
  std::string remote;     // "ip:port"
  int64_t lifetime = 0;   // seconds
  bool queue_mode = false;
  bool awake = true;
  int64_t registered_at_ms = 0;
  int64_t updated_at_ms = 0;
  std::vector<std::string> objects;  // "/3/0", ...
  std::size_t queued_commands = 0;
  std::size_t observations = 0;
};

class Server final : public ClientSource, public CommandTarget {
 public:
  // `auth` (DTLS PSK lookup) and `directory` (admission, presence) may be
  // null: then no PSK is accepted and every endpoint is admitted as a device
  // named after it.
  Server(boost::asio::io_context& io, Bus& bus, Metrics& metrics,
         const objects::ObjectRegistry& objects, ServerOptions options,
         Authenticator* auth = nullptr, DeviceDirectory* directory = nullptr);
  ~Server() override;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the UDP and DTLS endpoints and subscribes to the command topics.
  // Errors name the config key (port in use, unreadable certificate).
  Status start();
  // Stops serving; registered clients are reported offline.
  void stop();

  // Registered clients with everything the server knows about them.
  std::vector<ClientSummary> registrations() const;
  // ClientSource, for GET /clients: client_id is the endpoint name,
  // keepalive the lifetime (capped at 65535 s), subscriptions the
  // observations, queued the commands waiting for a sleeping client, state
  // "registered" or "asleep".
  std::vector<ClientInfo> clients() const override;
  // Forgets a registration as if it had expired (DELETE /clients/{id});
  // false when the endpoint is not registered.
  bool disconnect(const std::string& endpoint) override;
  // Runs a command (the same JSON as on dn/) for an endpoint; the answer is
  // published on up/resp as well.
  void submit(const std::string& endpoint, const std::string& command_json,
              CommandCallbacks callbacks = {}) override;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace trellis::lwm2m
