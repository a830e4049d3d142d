#include "app/server.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>

#include <boost/asio/strand.hpp>
#include <nlohmann/json.hpp>
#include "adapters/lwm2m/server.hpp"
#include "adapters/mqtt/broker.hpp"
#include "adapters/mqtt/listener.hpp"
#include "adapters/mqtt/sys_tree.hpp"
#include "adapters/mqttsn/gateway.hpp"
#include "core/bus.hpp"
#include "core/handler_guard.hpp"
#include "core/io_loop.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/topic.hpp"
#include "db/database.hpp"
#include "db/device_store.hpp"
#include "db/registry_service.hpp"
#include "db/retained_store.hpp"
#include "db/session_store.hpp"
#include "db/storage_metrics.hpp"
#include "db/telemetry_recorder.hpp"
#include "db/telemetry_store.hpp"
#include "objects/object_registry.hpp"
#include "webapi/http_server.hpp"

namespace trellis::app {

namespace asio = boost::asio;

namespace {

// The adapters that are switched on: one that is off is null and has no clients.
std::vector<ClientSource*> client_sources(std::initializer_list<ClientSource*> adapters) {
  std::vector<ClientSource*> on;
  for (ClientSource* a : adapters) {
    if (a) on.push_back(a);
  }
  return on;
}

// How long shutdown waits for connections to close and storage to drain.
constexpr auto shutdown_grace = std::chrono::seconds(3);

uint16_t port(const config::Config& cfg, std::string_view key) {
  return static_cast<uint16_t>(cfg.get_int(key));
}

mqtt::BrokerOptions broker_options(const config::Config& cfg) {
  mqtt::BrokerOptions o;
  o.connect_timeout = std::chrono::seconds(cfg.get_int("mqtt.connect_timeout"));
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

mqttsn::GatewayOptions mqttsn_options(const config::Config& cfg) {
  mqttsn::GatewayOptions o;
  o.bind = cfg.get_string("mqttsn.bind");
  o.port = port(cfg, "mqttsn.port");
  o.gateway_id = static_cast<uint8_t>(cfg.get_int("mqttsn.gateway_id"));
  // The schema has already checked every id is a number in 1..65535.
  for (auto& [id, topic] : cfg.get_map("mqttsn.predefined_topics")) {
    o.predefined_topics[static_cast<uint16_t>(std::stoul(id))] = topic;
  }
  o.advertise_interval = std::chrono::seconds(cfg.get_int("mqttsn.advertise_interval"));
  o.advertise_address = cfg.get_string("mqttsn.advertise_address");
  o.retry_interval = std::chrono::seconds(cfg.get_int("mqttsn.retry_interval"));
  o.max_retries = static_cast<unsigned>(cfg.get_int("mqttsn.max_retries"));
  o.require_registered = cfg.get_bool("mqttsn.require_registered");
  o.max_buffered_messages = static_cast<std::size_t>(cfg.get_int("mqttsn.max_buffered_messages"));
  return o;
}

lwm2m::ServerOptions lwm2m_options(const config::Config& cfg) {
  lwm2m::ServerOptions o;
  o.bind = cfg.get_string("lwm2m.bind");
  o.coap_port = port(cfg, "lwm2m.coap_port");
  o.dtls_port = port(cfg, "lwm2m.dtls_port");
  o.topic_prefix = cfg.get_string("lwm2m.topic_prefix");
  o.topics.command = cfg.get_string("lwm2m.topics.command");
  o.topics.response = cfg.get_string("lwm2m.topics.response");
  o.topics.notify = cfg.get_string("lwm2m.topics.notify");
  o.topics.reg = cfg.get_string("lwm2m.topics.register");
  o.topics.update = cfg.get_string("lwm2m.topics.update");
  o.lifetime_min = std::chrono::seconds(cfg.get_int("lwm2m.lifetime_min"));
  o.lifetime_max = std::chrono::seconds(cfg.get_int("lwm2m.lifetime_max"));
  o.qmode_time_window = std::chrono::seconds(cfg.get_int("lwm2m.qmode_time_window"));
  o.request_timeout = std::chrono::seconds(cfg.get_int("lwm2m.request_timeout_s"));
  const auto& observe = cfg.get("lwm2m.auto_observe");
  if (observe.is_boolean()) {
    o.auto_observe_all = observe.get<bool>();
  } else {
    o.auto_observe_paths = cfg.get_strings("lwm2m.auto_observe");
  }
  o.dtls_cert = cfg.get_string("lwm2m.dtls.cert");
  o.dtls_key = cfg.get_string("lwm2m.dtls.key");
  o.dtls_ca = cfg.get_string("lwm2m.dtls.ca");
  return o;
}

std::filesystem::path uploaded_objects_dir(const config::Config& cfg) {
  return std::filesystem::path(cfg.get_string("data_dir")) / "objects";
}

webapi::HttpServerOptions http_options(const config::Config& cfg) {
  webapi::HttpServerOptions o;
  o.bind = cfg.get_string("http.bind");
  o.port = port(cfg, "http.port");
  o.api_keys = cfg.get_strings("http.api_keys");
  o.max_body_size = static_cast<std::size_t>(cfg.get_int("http.max_body_size"));
  o.command_timeout = std::chrono::seconds(cfg.get_int("commands.timeout_s"));
  o.command_backlog_bytes = static_cast<std::size_t>(cfg.get_int("commands.max_backlog_mb")) << 20;
  o.objects_dir = uploaded_objects_dir(cfg);
  o.lwm2m_topic_prefix = cfg.get_string("lwm2m.topic_prefix");
  o.lwm2m_command_topic = cfg.get_string("lwm2m.topics.command");
  return o;
}

// Shipped definitions first, then the configured folders, then the uploaded
// ones: a later definition of the same object replaces an earlier one.
void load_object_definitions(objects::ObjectRegistry& registry, const config::Config& cfg) {
  std::vector<std::filesystem::path> dirs{std::filesystem::path(TRELLIS_SOURCE_DIR) / "objects" /
                                          "xml"};
  for (auto& d : cfg.get_strings("lwm2m.xml_dirs")) dirs.emplace_back(d);
  dirs.push_back(uploaded_objects_dir(cfg));
  for (auto& dir : dirs) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) continue;
    auto loaded = registry.load_directory(dir);
    for (auto& e : loaded.errors) TLOG(warn, "objects") << "object file refused: " << e.to_string();
    TLOG(info, "objects") << "object definitions loaded" << log::kv("dir", dir.string())
                          << log::kv("objects", loaded.objects_loaded);
  }
}

}  // namespace

struct Server::Parts {
  Metrics metrics;
  Bus bus;
  std::unique_ptr<db::Database> db;
  std::unique_ptr<db::RegistryService> registry;
  std::shared_ptr<db::TelemetryRecorder> recorder;
  std::unique_ptr<mqtt::Broker> broker;
  std::unique_ptr<mqtt::Listeners> listeners;
  std::unique_ptr<mqtt::SysTree> sys;
  std::unique_ptr<mqttsn::Gateway> mqttsn;
  objects::ObjectRegistry objects;
  std::unique_ptr<lwm2m::Server> lwm2m;
  std::unique_ptr<webapi::HttpServer> http;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::optional<asio::signal_set> signals;
  std::optional<asio::steady_timer> deadline;
  // The autosave timer lives on its own strand: stop() may run on another I/O thread.
  std::optional<asio::strand<asio::io_context::executor_type>> autosave_strand;
  std::optional<asio::steady_timer> autosave;
  bool autosave_stopped = false;   // on autosave_strand
  uint64_t autosaved_changes = 0;  // Broker::session_changes() at the last autosave
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
  dbo.telemetry_backlog_bytes = static_cast<std::size_t>(cfg_.get_int("telemetry.max_backlog_mb"))
                                << 20;
  auto opened = db::Database::open(dbo);
  if (!opened) return opened.error();
  p.db = std::move(*opened);
  db::export_storage_metrics(*p.db, p.metrics);
  TLOG(info, "trellis") << "database open" << log::kv("path", dbo.path.string())
                        << log::kv("schema", p.db->schema_version());

  db::RegistryOptions ro;
  ro.allow_anonymous = cfg_.get_bool("mqtt.allow_anonymous");
  ro.anonymous_acl = cfg_.get_acl("mqtt.anonymous_acl");
  ro.auto_register = cfg_.get_bool("registry.auto_register");
  ro.lwm2m_topic_prefix = cfg_.get_string("lwm2m.topic_prefix");
  p.registry = std::make_unique<db::RegistryService>(*p.db, ro);
  p.registry->set_presence_callback(
      [this](const std::string& device, const std::string& protocol, bool online, int64_t time_ms) {
        publish_presence(device, protocol, online, time_ms);
      });

  if (auto st = restore_broker_state(); !st) return st;
  p.bus.set_retained_listener([this](const MessagePtr& m) {
    // $SYS is republished every interval; storing it would only churn the disk.
    if (m->topic.rfind("$SYS/", 0) == 0) return;
    if (m->body().empty()) {
      parts_->db->retained().erase(m->topic);
    } else {
      parts_->db->retained().put(m);
    }
  });

  db::RecorderOptions rec;
  rec.lwm2m_prefix = cfg_.get_string("lwm2m.topic_prefix");
  rec.lwm2m_response_topic = cfg_.get_string("lwm2m.topics.response");
  rec.lwm2m_notify_topic = cfg_.get_string("lwm2m.topics.notify");
  p.recorder = std::make_shared<db::TelemetryRecorder>(asio::make_strand(io_), p.db->telemetry(),
                                                       *p.registry, p.metrics, rec);
  p.recorder->start(p.bus);
  if (auto days = cfg_.get_int("telemetry.retention_days"); days > 0) {
    p.db->telemetry().start_retention(static_cast<int>(days));
  }

  p.broker =
      std::make_unique<mqtt::Broker>(io_, p.bus, p.metrics, broker_options(cfg_), p.registry.get());
  p.broker->set_events(
      mqtt::ClientEvents{[this](const ClientInfo& c, const Principal& who) {
                           auto id = device_of(c.client_id, who);
                           if (id) parts_->registry->set_online(*id, "mqtt", c.remote);
                           return id.has_value();
                         },
                         [this](const std::string& client_id, const Principal& who) {
                           // Counted as its principal, or as its client id when anonymous,
                           // whether or not that device still exists.
                           parts_->registry->set_offline(
                               who.kind == PrincipalKind::device ? who.id : client_id, "mqtt");
                         }});
  // Data or REST may register a device while its anonymous client is connected.
  p.db->devices().set_created_listener([this](const std::string& id) {
    if (parts_->broker) parts_->broker->device_registered(id);
  });
  for (auto& snapshot : restored_sessions_) p.broker->restore_session(snapshot);
  restored_sessions_.clear();
  p.listeners = std::make_unique<mqtt::Listeners>(io_, *p.broker, listener_options(cfg_));
  if (auto st = p.listeners->start(); !st) return st;
  p.sys = std::make_unique<mqtt::SysTree>(io_, *p.broker,
                                          std::chrono::seconds(cfg_.get_int("mqtt.sys_interval")));
  p.sys->start();
  if (cfg_.get_int("mqtt.autosave_interval") > 0) {
    p.autosave_strand.emplace(asio::make_strand(io_));
    p.autosave.emplace(*p.autosave_strand);
    schedule_autosave();
  }

  if (port(cfg_, "mqttsn.port") != 0) {
    p.mqttsn = std::make_unique<mqttsn::Gateway>(io_, p.bus, p.metrics, mqttsn_options(cfg_),
                                                 p.registry.get());
    if (auto st = p.mqttsn->start(); !st) return st;
  }

  load_object_definitions(p.objects, cfg_);
  if (port(cfg_, "lwm2m.coap_port") != 0 || port(cfg_, "lwm2m.dtls_port") != 0) {
    p.lwm2m = std::make_unique<lwm2m::Server>(io_, p.bus, p.metrics, p.objects, lwm2m_options(cfg_),
                                              p.registry.get(), p.registry.get());
    if (auto st = p.lwm2m->start(); !st) return st;
  }

  if (port(cfg_, "http.port") != 0) {
    p.http = std::make_unique<webapi::HttpServer>(
        io_, http_options(cfg_),
        webapi::Services{p.bus, p.metrics, *p.db, &p.objects,
                         client_sources({p.broker.get(), p.lwm2m.get(), p.mqttsn.get()}),
                         p.lwm2m.get()});
    if (auto st = p.http->start(); !st) return st;
  }

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
    if (p.http) p.http->stop();
    if (p.mqttsn) p.mqttsn->stop();
    if (p.lwm2m) p.lwm2m->stop();
    if (p.sys) p.sys->stop();
    if (p.autosave) {
      asio::post(*p.autosave_strand, [&p] {
        p.autosave_stopped = true;
        p.autosave->cancel();
      });
    }
    if (p.broker) p.broker->stop();
    p.work.reset();
    p.deadline.emplace(io_);
    drain(std::chrono::steady_clock::now() + shutdown_grace);
  });
}

std::optional<std::string> Server::device_of(const std::string& client_id, const Principal& who) {
  // An authenticated device is its principal; an anonymous client is a device
  // when its client id names one (no device is created just for connecting).
  if (who.kind == PrincipalKind::device) return who.id;
  if (who.kind == PrincipalKind::anonymous && parts_->db->devices().exists(client_id)) {
    return client_id;
  }
  return std::nullopt;
}

void Server::publish_presence(const std::string& device, const std::string& protocol, bool online,
                              int64_t time_ms) {
  const std::string base = "$events/devices/" + device + "/";
  nlohmann::json event{{"device", device}, {"protocol", protocol}, {"time", time_ms}};
  // Only the current state stays retained, so a new subscriber sees one answer.
  parts_->bus.clear_retained(base + (online ? "offline" : "online"));
  parts_->bus.publish(make_message(base + (online ? "online" : "offline"), event.dump(), 1, true,
                                   Origin::internal));
}

Status Server::restore_broker_state() {
  auto& p = *parts_;
  auto retained = p.db->retained().load_all();
  if (!retained) return retained.error();
  // Topics saved before a limit tightened (core/topic.hpp) are left out: the
  // store would walk them as deep as they go.
  std::size_t retained_left_out = 0;
  std::size_t filters_left_out = 0;
  for (auto& r : *retained) {
    if (!topic::validate_name(r.topic)) {
      ++retained_left_out;
      continue;
    }
    auto m = std::make_shared<Message>();
    m->topic = std::move(r.topic);
    m->payload = std::move(r.payload);
    m->qos = r.qos;
    m->retain = true;
    m->time_ms = r.time_ms;
    p.bus.restore_retained(m);
  }
  auto sessions = p.db->sessions().load_all();
  if (!sessions) return sessions.error();
  for (auto& s : *sessions) {
    mqtt::Broker::SessionSnapshot snap;
    snap.client_id = s.client_id;
    for (auto& sub : s.subscriptions) {
      if (topic::validate_filter(sub.filter)) {
        snap.subscriptions[sub.filter] = sub.qos;
      } else {
        ++filters_left_out;
      }
    }
    for (auto& q : s.queued) {
      MessagePtr msg;
      if (!q.released) {
        auto m = std::make_shared<Message>();
        m->topic = std::move(q.topic);
        m->payload = std::move(q.payload);
        m->qos = q.qos;
        m->retain = q.retain;
        m->origin = Origin::mqtt;
        msg = std::move(m);
      }
      if (q.packet_id == 0) {
        if (msg) snap.queued.push_back(std::move(msg));
      } else {
        snap.inflight.push_back(
            mqtt::Outgoing{std::move(msg), q.qos, q.retain, false, q.packet_id});
      }
    }
    snap.inbound_qos2 = std::move(s.inbound_qos2);
    restored_sessions_.push_back(std::move(snap));
  }
  if (retained_left_out + filters_left_out > 0) {
    TLOG(warn, "trellis") << "saved topics no longer valid left out"
                          << log::kv("retained", retained_left_out)
                          << log::kv("subscriptions", filters_left_out);
  }
  TLOG(info, "trellis") << "broker state restored"
                        << log::kv("retained", retained->size() - retained_left_out)
                        << log::kv("sessions", sessions->size());
  return Ok{};
}

std::size_t Server::save_broker_state() {
  auto& p = *parts_;
  if (!p.broker || !p.db) return 0;
  auto sessions = p.broker->snapshot_sessions();
  std::vector<db::StoredSession> stored;
  stored.reserve(sessions.size());
  for (auto& s : sessions) {
    db::StoredSession& out = stored.emplace_back();
    out.client_id = s.client_id;
    for (auto& [filter, qos] : s.subscriptions) out.subscriptions.push_back({filter, qos});
    // Messages in flight first, with their packet ids, then those queued.
    int64_t order = 0;
    for (auto& o : s.inflight) {
      db::QueuedMessage q{++order, {}, {}, o.qos, o.retain, o.packet_id, o.msg == nullptr};
      if (o.msg) {
        q.topic = o.msg->topic;
        q.payload = o.msg->payload;
      }
      out.queued.push_back(std::move(q));
    }
    for (auto& m : s.queued) {
      out.queued.push_back(db::QueuedMessage{++order, m->topic, m->payload, m->qos, m->retain});
    }
    out.inbound_qos2 = std::move(s.inbound_qos2);
  }
  p.db->sessions().replace_all(std::move(stored));
  return sessions.size();
}

void Server::schedule_autosave() {
  auto& p = *parts_;
  p.autosave->expires_after(std::chrono::seconds(cfg_.get_int("mqtt.autosave_interval")));
  p.autosave->async_wait([this](boost::system::error_code ec) {
    auto& p = *parts_;
    if (ec || p.autosave_stopped) return;
    // Nothing changed, nothing to write: an idle fleet costs no disk.
    if (const uint64_t changes = p.broker->session_changes(); changes != p.autosaved_changes) {
      const auto saved = save_broker_state();
      p.autosaved_changes = changes;
      TLOG(debug, "trellis") << "persistent sessions saved" << log::kv("sessions", saved);
    }
    schedule_autosave();
  });
}

void Server::drain(std::chrono::steady_clock::time_point give_up) {
  // Connections close quickly; whatever still hangs after the grace period is cut.
  auto& p = *parts_;
  bool drained = p.broker->connection_count() == 0 && (!p.mqttsn || p.mqttsn->stopped());
  if (drained || std::chrono::steady_clock::now() >= give_up) {
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
  auto busy_poll = cfg_.busy_poll();
  if (n > 1 && busy_poll.count() > 0) {
    // Threads sharing one io_context also share its reactor: one of them
    // sleeps in it, and the others' polling cannot see the sockets.
    TLOG(warn, "trellis") << "busy_poll_us works with one I/O thread (threads=1); not polling"
                          << log::kv("threads", n);
    busy_poll = std::chrono::microseconds::zero();
  }
  TLOG(info, "trellis") << "ready" << log::kv("version", TRELLIS_VERSION) << log::kv("threads", n)
                        << log::kv("busy_poll_us", busy_poll.count());
  // Asio leaves the io_context usable after a handler throws: run it again.
  Counter& thrown = handler_exceptions(parts_->metrics);
  auto run = [this, &thrown, busy_poll] {
    while (!survive_throw(thrown, "trellis", [this, busy_poll] { run_io(io_, busy_poll); })) {
    }
  };
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < n; ++i) threads.emplace_back(run);
  run();
  for (auto& t : threads) t.join();
  // Work already posted (telemetry accepted from publishers, say) still runs
  // before storage closes: nothing acknowledged is lost by a clean shutdown.
  io_.restart();
  while (!survive_throw(thrown, "trellis", [this] { io_.poll(); })) {
  }
  // The LwM2M server owns libcoap state bound to the io_context; it goes before storage closes.
  parts_->lwm2m.reset();
  const auto saved = save_broker_state();
  TLOG(info, "trellis") << "persistent sessions saved" << log::kv("sessions", saved);
  if (parts_->db) {
    parts_->db->close();
    TLOG(info, "trellis") << "storage flushed";
  }
  TLOG(info, "trellis") << "stopped";
}

}  // namespace trellis::app
