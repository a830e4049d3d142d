#include "adapters/lwm2m/server.hpp"

#include <algorithm>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include "adapters/lwm2m/coap_code.hpp"
#include "adapters/lwm2m/server_impl.hpp"
#include "core/handler_guard.hpp"
#include "core/log.hpp"

namespace trellis::lwm2m {
namespace {

namespace asio = boost::asio;

constexpr const char* kLog = "lwm2m";

Counter& c(Metrics& m, const char* name, const char* help) {
  return m.counter(name, help);
}

// Hands dn/ messages to the adapter's strand; the bus must never wait on us.
class CommandTap : public Subscriber {
 public:
  explicit CommandTap(std::weak_ptr<Server::Impl> impl) : impl_(std::move(impl)) {}
  void deliver(const MessagePtr& msg, uint8_t) override {
    if (msg->origin == Origin::lwm2m) return;  // our own answers, when topics overlap
    auto impl = impl_.lock();
    if (!impl) return;
    asio::post(impl->strand, [weak = impl_, msg] {
      if (auto i = weak.lock()) i->on_bus_command(msg);
    });
  }

 private:
  std::weak_ptr<Server::Impl> impl_;
};

}  // namespace

ServerCounters::ServerCounters(Metrics& m)
    : clients(m.gauge("trellis_lwm2m_clients", "LwM2M clients registered")),
      registrations(c(m, "trellis_lwm2m_registrations_total", "LwM2M Register requests accepted")),
      updates(c(m, "trellis_lwm2m_updates_total", "LwM2M registration Updates accepted")),
      deregistrations(c(m, "trellis_lwm2m_deregistrations_total", "LwM2M De-registers")),
      expirations(c(m, "trellis_lwm2m_expirations_total",
                    "LwM2M registrations that outlived their lifetime")),
      refused(c(m, "trellis_lwm2m_registrations_refused_total",
                "LwM2M Register / Update requests refused")),
      requests(c(m, "trellis_lwm2m_requests_total", "CoAP requests sent to LwM2M clients")),
      responses(c(m, "trellis_lwm2m_responses_total", "responses from LwM2M clients")),
      timeouts(c(m, "trellis_lwm2m_request_timeouts_total",
                 "requests to LwM2M clients that got no answer in time")),
      notifications(c(m, "trellis_lwm2m_notifications_total", "observe notifications received")),
      bad_commands(c(m, "trellis_lwm2m_bad_commands_total", "JSON commands refused as invalid")),
      queued(c(m, "trellis_lwm2m_commands_queued_total",
               "commands held for a sleeping (queue mode) client")),
      dtls_failures(c(m, "trellis_lwm2m_dtls_failures_total",
                      "DTLS handshakes or records that failed (wrong key, unknown identity)")),
      handler_exceptions(trellis::handler_exceptions(m)) {}

Server::Impl::Impl(asio::io_context& io_, Bus& bus_, Metrics& metrics,
                   const objects::ObjectRegistry& objects_, ServerOptions options_,
                   Authenticator* auth_, DeviceDirectory* directory_)
    : io(io_),
      strand(asio::make_strand(io_)),
      bus(bus_),
      counters(metrics),
      objects(objects_),
      options(std::move(options_)),
      auth(auth_),
      directory(directory_),
      sweeper(strand),
      rng(std::random_device{}()) {
  lookup = [this](const Path& p) -> std::optional<objects::ResourceType> {
    if (!p.resource) return std::nullopt;
    auto r = objects.resource(p.object, *p.resource);
    if (!r) return std::nullopt;
    return r->type;
  };
}

Status Server::Impl::start() {
  CoapRuntime::Handlers h;
  // These run inside libcoap's callbacks: nothing may unwind through its frames.
  h.request = [this](const IncomingRequest& in) {
    OutgoingResponse out{kInternalServerError, {}, "the server failed to handle this request"};
    survive_throw(counters.handler_exceptions, kLog, [&] { out = on_coap_request(in); });
    return out;
  };
  h.response = [this](coap_session_t* s, const std::string& token, const CoapResponse& rsp) {
    bool ok = false;
    survive_throw(counters.handler_exceptions, kLog, [&] { ok = on_coap_response(s, token, rsp); });
    return ok;
  };
  h.failure = [this](const std::string& token, bool reset, const std::string& why) {
    survive_throw(counters.handler_exceptions, kLog, [&] { on_coap_failure(token, reset, why); });
  };
  h.psk = [this](const std::string& identity) {
    std::optional<std::string> key;
    survive_throw(counters.handler_exceptions, kLog, [&] { key = psk_for(identity); });
    return key;
  };
  h.dtls_failed = [this](coap_session_t* s) {
    counters.dtls_failures.add();
    TLOG_LIMITED(warn, kLog) << "DTLS handshake failed"
                             << log::kv("remote", CoapRuntime::remote(s));
  };
  coap = std::make_unique<CoapRuntime>(strand, std::move(h));
  CoapEndpoints ep;
  ep.bind = options.bind;
  ep.answer_wait = options.request_timeout;
  ep.coap_port = options.coap_port;
  ep.dtls_port = options.dtls_port;
  ep.cert = options.dtls_cert;
  ep.key = options.dtls_key;
  ep.ca = options.dtls_ca;
  if (auto st = coap->start(ep); !st) {
    coap.reset();
    return st;
  }
  tap = std::make_shared<CommandTap>(weak_from_this());
  const std::string filter = options.topic_prefix + "/+/" + options.topics.command;
  bus.subscribe(tap, filter, 0);
  TLOG(info, kLog) << "command topics" << log::kv("filter", filter);
  asio::post(strand, [this] { sweep(); });
  return Ok{};
}

void Server::Impl::stop() {
  if (stopped) return;
  stopped = true;
  if (tap) bus.unsubscribe_all(tap.get());
  sweeper.cancel();
  for (auto& [token, p] : pending) {
    if (p.timer) p.timer->cancel();
  }
  for (auto& [ep, c] : clients) go_offline(c);
  if (coap) coap->stop();
}

void Server::Impl::shutdown() {
  stop();
  // Every SessionRef goes before the context that owns the sessions.
  pending.clear();
  clients.clear();
  locations.clear();
  observed.clear();
  coap.reset();
}

Server::Server(asio::io_context& io, Bus& bus, Metrics& metrics,
               const objects::ObjectRegistry& objects, ServerOptions options, Authenticator* auth,
               DeviceDirectory* directory)
    : impl_(
          std::make_shared<Impl>(io, bus, metrics, objects, std::move(options), auth, directory)) {}

Server::~Server() {
  if (impl_) impl_->shutdown();
}

Status Server::start() {
  return impl_->start();
}

void Server::stop() {
  // Runs on the strand so it never races libcoap; the destructor finishes the job.
  asio::post(impl_->strand, [weak = std::weak_ptr<Impl>(impl_)] {
    if (auto i = weak.lock()) i->stop();
  });
}

std::vector<ClientSummary> Server::registrations() const {
  std::lock_guard lock(impl_->snapshot_mu);
  std::vector<ClientSummary> out;
  out.reserve(impl_->snapshot.size());
  for (const auto& [_, s] : impl_->snapshot) out.push_back(s);
  return out;
}

std::vector<ClientInfo> Server::clients() const {
  std::vector<ClientInfo> out;
  for (const auto& r : registrations()) {
    ClientInfo c;
    c.client_id = r.endpoint;
    c.protocol = "lwm2m";
    c.transport = r.transport;
    c.remote = r.remote;
    c.username = r.device_id;
    c.clean_session = false;
    c.keepalive = static_cast<uint16_t>(std::min<int64_t>(r.lifetime, 65535));
    c.connected_at_ms = r.registered_at_ms;
    c.subscriptions = r.observations;
    c.queued = r.queued_commands;
    c.state = r.awake ? "registered" : "asleep";
    out.push_back(std::move(c));
  }
  return out;
}

bool Server::disconnect(const std::string& endpoint) {
  const auto regs = registrations();
  const bool known = std::any_of(regs.begin(), regs.end(),
                                 [&](const ClientSummary& r) { return r.endpoint == endpoint; });
  if (!known) return false;
  asio::post(impl_->strand, [weak = std::weak_ptr<Impl>(impl_), endpoint] {
    auto i = weak.lock();
    if (!i || i->stopped) return;
    auto it = i->clients.find(endpoint);
    if (it != i->clients.end() && it->second.registered) i->finish(endpoint, "removed");
  });
  return true;
}

void Server::submit(const std::string& endpoint, const std::string& command_json,
                    CommandCallbacks callbacks) {
  asio::post(impl_->strand, [weak = std::weak_ptr<Impl>(impl_), endpoint, command_json,
                             cb = std::move(callbacks)]() mutable {
    if (auto i = weak.lock()) i->run_command(endpoint, command_json, std::move(cb));
  });
}

}  // namespace trellis::lwm2m
