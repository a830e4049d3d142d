#include "adapters/mqtt/broker.hpp"

#include "adapters/mqtt/connection.hpp"
#include "core/log.hpp"

namespace trellis::mqtt {

namespace {
Counter& c(Metrics& m, const char* name, const char* help) {
  return m.counter(name, help);
}
Gauge& g(Metrics& m, const char* name, const char* help, const std::string& labels = "") {
  return m.gauge(name, help, labels);
}
}  // namespace

BrokerCounters::BrokerCounters(Metrics& m)
    : bytes_received(c(m, "trellis_mqtt_bytes_received_total", "MQTT bytes received")),
      bytes_sent(c(m, "trellis_mqtt_bytes_sent_total", "MQTT bytes sent")),
      messages_received(c(m, "trellis_mqtt_packets_received_total", "MQTT packets received")),
      messages_sent(c(m, "trellis_mqtt_packets_sent_total", "MQTT packets sent")),
      publish_received(c(m, "trellis_mqtt_publish_received_total", "PUBLISH packets received")),
      publish_sent(c(m, "trellis_mqtt_publish_sent_total", "PUBLISH packets sent")),
      publish_bytes_received(
          c(m, "trellis_mqtt_publish_bytes_received_total", "PUBLISH payload bytes received")),
      publish_bytes_sent(
          c(m, "trellis_mqtt_publish_bytes_sent_total", "PUBLISH payload bytes sent")),
      publish_dropped(c(m, "trellis_mqtt_publish_dropped_total",
                        "messages dropped for a full session queue or an absent QoS 0 client")),
      publish_denied(c(m, "trellis_mqtt_publish_denied_total",
                       "PUBLISH packets refused by ACL or aimed at $SYS")),
      connections_total(c(m, "trellis_mqtt_connections_total", "MQTT connections accepted")),
      auth_failures(c(m, "trellis_mqtt_auth_failures_total", "CONNECTs refused by authentication")),
      protocol_errors(c(m, "trellis_mqtt_protocol_errors_total",
                        "connections closed for malformed or forbidden packets")),
      reads_paused(c(m, "trellis_mqtt_reads_paused_total",
                     "times a client was not read until a full backlog (telemetry, acks) drained")),
      clients_connected(g(m, "trellis_mqtt_clients_connected", "MQTT clients connected")),
      clients_maximum(g(m, "trellis_mqtt_clients_maximum", "most MQTT clients connected at once")),
      sessions(g(m, "trellis_mqtt_sessions", "MQTT sessions, connected or kept while away")),
      inflight(g(m, "trellis_mqtt_inflight", "outbound QoS 1/2 messages awaiting acknowledgement")),
      connected_tcp(g(m, "trellis_connections", "open connections per protocol and transport",
                      "protocol=\"mqtt\",transport=\"tcp\"")),
      connected_tls(g(m, "trellis_connections", "", "protocol=\"mqtt\",transport=\"tls\"")),
      connected_ws(g(m, "trellis_connections", "", "protocol=\"mqtt\",transport=\"ws\"")),
      connected_wss(g(m, "trellis_connections", "", "protocol=\"mqtt\",transport=\"wss\"")) {}

Gauge& BrokerCounters::connected_for(const char* kind) {
  std::string_view k(kind);
  if (k == "tls") return connected_tls;
  if (k == "ws") return connected_ws;
  if (k == "wss") return connected_wss;
  return connected_tcp;
}

Broker::Broker(boost::asio::io_context& io, Bus& bus, Metrics& metrics, BrokerOptions options,
               Authenticator* auth)
    : bus_(bus), counters_(metrics), options_(std::move(options)), auth_(auth), readiness_(io) {}

Broker::~Broker() = default;

void Broker::accept(std::unique_ptr<Transport> transport, Strand executor) {
  const char* kind = transport->kind();
  adopt(std::make_shared<Connection>(*this, std::move(transport), std::move(executor)), kind);
}

void Broker::accept(int fd, Strand executor) {
  adopt(std::make_shared<Connection>(*this, fd, std::move(executor)), "tcp");
}

void Broker::adopt(const std::shared_ptr<Connection>& conn, const char* kind) {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    connections_[conn.get()] = conn;
  }
  counters_.connections_total.add();
  counters_.connected_for(kind).add();
  conn->start();
}

void Broker::connection_closed(const Connection* conn) {
  std::lock_guard lock(mu_);
  connections_.erase(conn);
}

void Broker::stop() {
  std::vector<std::shared_ptr<Connection>> all;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    for (auto& [_, weak] : connections_) {
      if (auto c = weak.lock()) all.push_back(std::move(c));
    }
  }
  for (auto& c : all) c->shut_down();
}

AuthOutcome Broker::authenticate(const ConnectCredentials& creds) {
  if (auth_) return auth_->authenticate(creds);
  // Without a registry only anonymous access exists: a username is not checked.
  AuthOutcome out;
  if (!options_.allow_anonymous) {
    out.status = AuthStatus::not_authorized;
    return out;
  }
  out.status = AuthStatus::accepted;
  out.principal.kind = PrincipalKind::anonymous;
  out.principal.username = creds.username.value_or("");
  out.principal.acl = options_.anonymous_acl;
  return out;
}

std::shared_ptr<const Principal> Broker::share(Principal principal) {
  bool plain_anonymous = principal.kind == PrincipalKind::anonymous && principal.id.empty() &&
                         principal.username.empty();
  if (!plain_anonymous) return std::make_shared<const Principal>(std::move(principal));
  std::lock_guard lock(mu_);
  if (!anonymous_ || !(anonymous_->acl == principal.acl)) {
    anonymous_ = std::make_shared<const Principal>(std::move(principal));
  }
  return anonymous_;
}

Broker::Opened Broker::open_session(const std::string& client_id, bool clean,
                                    const std::shared_ptr<Connection>& conn) {
  std::shared_ptr<Connection> previous;
  std::shared_ptr<Session> discarded;
  Opened opened;
  {
    std::lock_guard lock(mu_);
    auto& entry = sessions_[client_id];
    previous = entry.connection.lock();
    if (entry.session && !clean && !entry.session->clean()) {
      opened.session = entry.session;
      opened.present = true;
    } else {
      discarded = std::move(entry.session);
      opened.session = std::make_shared<Session>(
          client_id, clean, SessionLimits{options_.max_inflight, options_.max_queued_messages},
          SessionCounters{&counters_.publish_dropped, &session_changes_});
      entry.session = opened.session;
      if (!clean || (discarded && !discarded->clean())) {
        session_changes_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    entry.connection = conn;
    counters_.sessions.set(static_cast<int64_t>(sessions_.size()));
    auto connected = counters_.clients_connected.value() + 1;
    counters_.clients_connected.set(connected);
    if (connected > counters_.clients_maximum.value()) counters_.clients_maximum.set(connected);
  }
  if (discarded) bus_.unsubscribe_all(discarded.get());
  if (previous) {
    TLOG(info, "mqtt") << "client id taken over" << log::kv("client", client_id);
    previous->kick("session taken over");
  }
  return opened;
}

void Broker::close_session(const std::shared_ptr<Session>& session, const Connection* conn) {
  bool drop = false;
  {
    std::lock_guard lock(mu_);
    counters_.clients_connected.sub();
    auto it = sessions_.find(session->client_id());
    // After a takeover the entry belongs to the new connection: leave it be.
    bool ours = it != sessions_.end() && it->second.session == session &&
                (it->second.connection.expired() || it->second.connection.lock().get() == conn);
    if (ours) {
      it->second.connection.reset();
      if (session->clean()) {
        sessions_.erase(it);
        drop = true;
      }
    } else {
      // Replaced by a clean session: this one is gone.
      if (it == sessions_.end() || it->second.session != session) drop = true;
    }
    counters_.sessions.set(static_cast<int64_t>(sessions_.size()));
  }
  session->detach(conn);
  if (drop) bus_.unsubscribe_all(session.get());
}

std::vector<ClientInfo> Broker::clients() const {
  std::vector<std::pair<std::shared_ptr<Connection>, std::shared_ptr<Session>>> live;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, e] : sessions_) {
      if (auto c = e.connection.lock()) live.emplace_back(std::move(c), e.session);
    }
  }
  std::vector<ClientInfo> out;
  out.reserve(live.size());
  for (auto& [c, s] : live) out.push_back(c->info(s.get()));
  return out;
}

bool Broker::disconnect(const std::string& client_id) {
  std::shared_ptr<Connection> conn;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(client_id);
    if (it == sessions_.end()) return false;
    conn = it->second.connection.lock();
  }
  if (!conn) return false;
  conn->kick("disconnected by administrator");
  return true;
}

void Broker::device_registered(const std::string& client_id) {
  std::shared_ptr<Connection> conn;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(client_id);
    if (it == sessions_.end()) return;
    conn = it->second.connection.lock();
  }
  if (conn) conn->recount_presence();
}

std::size_t Broker::session_count() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

std::size_t Broker::inflight_count() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& [_, e] : sessions_) n += e.session ? e.session->inflight() : 0;
  return n;
}

std::size_t Broker::subscription_count() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& [_, e] : sessions_) n += e.session ? e.session->subscription_count() : 0;
  return n;
}

std::size_t Broker::queued_count() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& [_, e] : sessions_) n += e.session ? e.session->queued() : 0;
  return n;
}

std::size_t Broker::connection_count() const {
  std::lock_guard lock(mu_);
  return connections_.size();
}

}  // namespace trellis::mqtt

namespace trellis::mqtt {

std::vector<Broker::SessionSnapshot> Broker::snapshot_sessions() const {
  std::vector<std::shared_ptr<Session>> persistent;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, e] : sessions_) {
      if (e.session && !e.session->clean()) persistent.push_back(e.session);
    }
  }
  // Sessions run on while they are read, one by one. The inbound QoS 2 ids go
  // first: an id is recorded once its message sits in every subscriber's
  // session, so any id saved has its message saved too, and a client's
  // resend after a crash is never taken for a duplicate of a lost message.
  std::vector<std::vector<uint16_t>> inbound;
  inbound.reserve(persistent.size());
  for (const auto& s : persistent) inbound.push_back(s->inbound_qos2());
  std::vector<SessionSnapshot> out;
  out.reserve(persistent.size());
  for (std::size_t i = 0; i < persistent.size(); ++i) {
    const auto& s = persistent[i];
    auto traffic = s->snapshot_traffic();
    SessionSnapshot snap{
        s->client_id(), s->subscriptions(), std::move(traffic.inflight), {}, std::move(inbound[i])};
    for (const auto& o : traffic.queued) {
      if (o.qos == 0) continue;
      // Keep the delivery QoS with the message: it is what the client was promised.
      auto m = std::make_shared<Message>(*o.msg);
      m->qos = o.qos;
      m->retain = o.retain;
      snap.queued.push_back(std::move(m));
    }
    out.push_back(std::move(snap));
  }
  return out;
}

void Broker::restore_session(const SessionSnapshot& snapshot) {
  auto session = std::make_shared<Session>(
      snapshot.client_id, false, SessionLimits{options_.max_inflight, options_.max_queued_messages},
      SessionCounters{&counters_.publish_dropped, &session_changes_});
  for (const auto& [filter, qos] : snapshot.subscriptions) {
    bus_.subscribe(session, filter, qos);
    session->set_subscription(filter, qos);
  }
  session->restore_inflight(snapshot.inflight, snapshot.inbound_qos2);
  for (const auto& m : snapshot.queued) {
    if (m->retain) {
      session->deliver_retained(m, m->qos);
    } else {
      session->deliver(m, m->qos);
    }
  }
  std::lock_guard lock(mu_);
  sessions_[snapshot.client_id].session = std::move(session);
  counters_.sessions.set(static_cast<int64_t>(sessions_.size()));
}

}  // namespace trellis::mqtt
