#include "app/server.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>

#include "adapters/mqtt/broker.hpp"
#include "adapters/mqtt/listener.hpp"
#include "adapters/mqtt/sys_tree.hpp"
#include "core/bus.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "db/database.hpp"

namespace trellis::app {

namespace asio = boost::asio;

namespace {

// How long shutdown waits for connections to close and storage to drain.
constexpr auto shutdown_grace = std::chrono::seconds(3);

uint16_t port(const config::Config& cfg, std::string_view key) {
  return static_cast<uint16_t>(cfg.get_int(key));
}

mqtt::BrokerOptions broker_options(const config::Config& cfg) {
  mqtt::BrokerOptions o;
  o.max_packet_size = static_cast<std::size_t>(cfg.get_int("mqtt.max_packet_size"));
  o.max_inflight = static_cast<uint16_t>(cfg.get_int("mqtt.max_inflight"));
  o.max_queued_messages = static_cast<std::size_t>(cfg.get_int("mqtt.max_queued_messages"));
  o.allow_anonymous = cfg.get_bool("mqtt.allow_anonymous");
  o.anonymous_acl = cfg.get_acl("mqtt.anonymous_acl");
  o.max_connections = static_cast<std::size_t>(cfg.get_int("mqtt.max_connections"));
  return o;
}

mqtt::ListenerOptions listener_options(const config::Config& cfg) {
  mqtt::ListenerOptions o;
  o.bind = cfg.get_string("mqtt.bind");
  o.tcp_port = port(cfg, "mqtt.tcp_port");
  o.tls_port = port(cfg, "mqtt.tls_port");
  o.ws_port = port(cfg, "mqtt.ws_port");
  o.wss_port = port(cfg, "mqtt.wss_port");
  o.ws_path = cfg.get_string("mqtt.ws_path");
  o.tls.cert = cfg.get_string("mqtt.tls.cert");
  o.tls.key = cfg.get_string("mqtt.tls.key");
  o.tls.ca = cfg.get_string("mqtt.tls.ca");
  o.tls.require_client_cert = cfg.get_bool("mqtt.tls.require_client_cert");
  return o;
}

}  // namespace

struct Server::Parts {
  Metrics metrics;
  Bus bus;
  std::unique_ptr<db::Database> db;
  std::unique_ptr<mqtt::Broker> broker;
  std::unique_ptr<mqtt::Listeners> listeners;
  std::unique_ptr<mqtt::SysTree> sys;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::optional<asio::signal_set> signals;
  std::optional<asio::steady_timer> deadline;
  bool stopping = false;
};

Server::Server(const config::Config& cfg) : cfg_(cfg), parts_(std::make_unique<Parts>()) {}

Server::~Server() {
  if (parts_ && parts_->db) parts_->db->close();
}

Status Server::start() {
  auto& p = *parts_;
  std::error_code fs_ec;
  std::filesystem::create_directories(cfg_.get_string("data_dir"), fs_ec);
  if (fs_ec) {
    return make_error("data_dir", "data_dir: cannot create '" + cfg_.get_string("data_dir") +
                                      "': " + fs_ec.message());
  }

  db::DatabaseOptions dbo;
  dbo.path = cfg_.db_path();
  dbo.batch_size = static_cast<std::size_t>(cfg_.get_int("telemetry.batch_size"));
  dbo.flush_interval = std::chrono::milliseconds(cfg_.get_int("telemetry.flush_interval_ms"));
  auto opened = db::Database::open(dbo);
  if (!opened) return opened.error();
  p.db = std::move(*opened);
  TLOG(info, "trellis") << "database open" << log::kv("path", dbo.path.string())
                        << log::kv("schema", p.db->schema_version());

  p.broker = std::make_unique<mqtt::Broker>(p.bus, p.metrics, broker_options(cfg_));
  p.listeners = std::make_unique<mqtt::Listeners>(io_, *p.broker, listener_options(cfg_));
  if (auto st = p.listeners->start(); !st) return st;
  p.sys = std::make_unique<mqtt::SysTree>(io_, *p.broker,
                                          std::chrono::seconds(cfg_.get_int("mqtt.sys_interval")));
  p.sys->start();

  p.signals.emplace(io_, SIGINT, SIGTERM);
  p.signals->async_wait([this](boost::system::error_code ec, int signo) {
    if (ec) return;
    TLOG(info, "trellis") << "signal received, shutting down" << log::kv("signal", signo);
    stop();
  });
  p.work.emplace(io_.get_executor());
  return Ok{};
}

void Server::stop() {
  asio::post(io_, [this] {
    auto& p = *parts_;
    if (p.stopping) return;
    p.stopping = true;
    if (p.signals) p.signals->cancel();
    if (p.listeners) p.listeners->stop();
    if (p.sys) p.sys->stop();
    if (p.broker) p.broker->stop();
    p.work.reset();
    p.deadline.emplace(io_);
    drain(std::chrono::steady_clock::now() + shutdown_grace);
  });
}

void Server::drain(std::chrono::steady_clock::time_point give_up) {
  // Connections close quickly; whatever still hangs after the grace period is cut.
  auto& p = *parts_;
  if (p.broker->connection_count() == 0 || std::chrono::steady_clock::now() >= give_up) {
    io_.stop();
    return;
  }
  p.deadline->expires_after(std::chrono::milliseconds(20));
  p.deadline->async_wait([this, give_up](boost::system::error_code ec) {
    if (!ec) drain(give_up);
  });
}

void Server::run() {
  unsigned n = cfg_.thread_count();
  TLOG(info, "trellis") << "ready" << log::kv("version", TRELLIS_VERSION)
                        << log::kv("threads", n);
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < n; ++i) threads.emplace_back([this] { io_.run(); });
  io_.run();
  for (auto& t : threads) t.join();
  if (parts_->db) {
    parts_->db->close();
    TLOG(info, "trellis") << "storage flushed";
  }
  TLOG(info, "trellis") << "stopped";
}

}  // namespace trellis::app
