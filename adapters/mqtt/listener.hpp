#pragma once
// Accepts MQTT connections on TCP, TLS, WebSocket and WebSocket-over-TLS ports
// and hands each to the broker on a strand of its own.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/mqtt/broker.hpp"
#include "core/result.hpp"

namespace trellis::mqtt {

struct TlsOptions {
  std::string cert;  // PEM chain file
  std::string key;   // PEM private key file
  std::string ca;    // PEM CA file for client certificates; empty: none asked
  bool require_client_cert = false;
  bool enabled() const { return !cert.empty() && !key.empty(); }
};

struct ListenerOptions {
  std::string bind = "127.0.0.1";
  uint16_t tcp_port = 1883;
  uint16_t tls_port = 8883;
  uint16_t ws_port = 8083;
  uint16_t wss_port = 8084;
  std::string ws_path = "/mqtt";
  TlsOptions tls;
};

// Builds a server TLS context; errors name the file that failed.
Result<std::shared_ptr<boost::asio::ssl::context>> make_server_tls_context(const TlsOptions& o);

class Listeners {
 public:
  Listeners(boost::asio::io_context& io, Broker& broker, ListenerOptions options);
  ~Listeners();

  // Binds every configured port (0 = off). A port that cannot be bound is an error.
  Status start();
  // Stops accepting; open connections stay.
  void stop();

  struct Bound {
    std::string kind;
    uint16_t port;
  };
  std::vector<Bound> bound() const;

 private:
  class Acceptor;
  class StrandPool;
  boost::asio::io_context& io_;
  Broker& broker_;
  ListenerOptions options_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::shared_ptr<StrandPool> strands_;
  std::vector<std::shared_ptr<Acceptor>> acceptors_;
};

}  // namespace trellis::mqtt
