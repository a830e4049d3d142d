// The Client Registration Interface (LwM2M 1.1 Core 6.2, Transport 6.2):
// Register (POST /rd), Update (POST /rd/{id}), De-register (DELETE /rd/{id})
// and lifetime expiry.
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include "adapters/lwm2m/coap_code.hpp"
#include "adapters/lwm2m/server_impl.hpp"
#include "core/log.hpp"

namespace trellis::lwm2m {
namespace {

namespace asio = boost::asio;

constexpr const char* kLog = "lwm2m";
constexpr int64_t kDefaultLifetime = 86400;  // LwM2M 1.1 Core, Table 6.2.1-1
constexpr uint16_t kLinkFormat = 40;
constexpr auto kSweepInterval = std::chrono::seconds(1);

OutgoingResponse refuse(uint8_t code, std::string why) {
  return OutgoingResponse{code, {}, std::move(why)};
}

uint8_t code_for(const Error& e) {
  return e.code == "unsupported_version" ? kPreconditionFailed : kBadRequest;
}

}  // namespace

OutgoingResponse Server::Impl::on_coap_request(const IncomingRequest& in) {
  if (stopped) return refuse(kServiceUnavailable, "the server is stopping");
  const auto& p = in.uri_path;
  if (p.size() == 1 && p[0] == "rd") {
    if (in.method != Method::post) return refuse(kMethodNotAllowed, "Register is a POST");
    return on_register(in);
  }
  if (p.size() == 2 && p[0] == "rd") {
    if (in.method == Method::post) return on_update(in, p[1]);
    if (in.method == Method::remove) return on_deregister(in, p[1]);
    return refuse(kMethodNotAllowed, "a registration takes POST (Update) or DELETE");
  }
  if (p.size() == 1 && p[0] == "dp") {
    if (in.method != Method::post) return refuse(kMethodNotAllowed, "Send is a POST");
    return on_send(in);
  }
  std::string path;
  for (const auto& seg : p) path += "/" + seg;
  return refuse(kNotFound, "no resource " + (path.empty() ? "/" : path) +
                               " here: LwM2M clients register at /rd");
}

OutgoingResponse Server::Impl::on_send(const IncomingRequest& in) {
  // LwM2M 1.1 Send (Information Reporting): only from a registered client,
  // known by the session it speaks on.
  const auto ep = endpoint_of_session.find(in.session);
  const auto it = ep == endpoint_of_session.end() ? clients.end() : clients.find(ep->second);
  if (it == clients.end() || !it->second.registered) {
    counters.refused.add();
    return refuse(kNotFound, "Send from a client that is not registered: register at /rd first");
  }
  Client& c = it->second;
  const CoapResponse sent{0, in.content_format, in.payload, std::nullopt, {}};
  auto msg = send_message(sent, lookup, now_ms());
  if (!msg) {
    counters.bad_commands.add();
    return refuse(
        msg.error().code == "unsupported_format" ? kUnsupportedContentFormat : kBadRequest,
        msg.error().message);
  }
  if (c.queue_mode) c.awake_until = SteadyClock::now() + options.qmode_time_window;
  TLOG(debug, kLog) << "send" << log::kv("ep", c.endpoint)
                    << log::kv("values", (*msg)["data"]["content"].size());
  publish(c.endpoint, options.topics.notify, *msg);
  // A sleeping client that speaks is awake: what waited for it goes once the
  // answer to its Send has.
  asio::post(strand, [weak = weak_from_this(), ep = c.endpoint] {
    auto i = weak.lock();
    if (!i || i->stopped) return;
    auto it = i->clients.find(ep);
    if (it != i->clients.end() && it->second.registered) i->flush_queue(it->second);
  });
  return OutgoingResponse{kChanged, {}, {}};
}

OutgoingResponse Server::Impl::on_register(const IncomingRequest& in) {
  const std::string remote = CoapRuntime::remote(in.session);
  auto fail = [&](uint8_t code, std::string why) {
    counters.refused.add();
    TLOG_LIMITED(warn, kLog) << "register refused" << log::kv("remote", remote)
                             << log::kv("why", why);
    return refuse(code, std::move(why));
  };
  auto q = parse_register_query(in.uri_query);
  if (!q) return fail(code_for(q.error()), q.error().message);
  if (!in.payload.empty() && in.content_format && *in.content_format != kLinkFormat) {
    return fail(kUnsupportedContentFormat,
                "the object list must be application/link-format (40), not " +
                    std::to_string(*in.content_format));
  }
  auto list = parse_object_list(in.payload);
  if (!list) return fail(kBadRequest, "bad object list: " + list.error().message);

  int64_t lifetime = q->lifetime.value_or(kDefaultLifetime);
  if (lifetime == 0) lifetime = kDefaultLifetime;
  if (lifetime > options.lifetime_max.count()) {
    if (q->lifetime) {
      return fail(kBadRequest, "lt=" + std::to_string(lifetime) + " is above lwm2m.lifetime_max (" +
                                   std::to_string(options.lifetime_max.count()) + ")");
    }
    lifetime = options.lifetime_max.count();
  }
  lifetime = std::max<int64_t>(lifetime, options.lifetime_min.count());

  const std::string& ep = *q->endpoint;
  const auto identity = coap->peer_identity(in.session);
  if (identity && identity->rfind("x509:", 0) == 0 && !options.dtls_ca.empty() &&
      identity->substr(5) != ep) {
    // A verified certificate speaks for one endpoint: its CN (as Leshan does).
    return fail(kForbidden, "the client certificate's CN '" + identity->substr(5) +
                                "' is not the endpoint name '" + ep + "'");
  }
  std::optional<std::string> device;
  if (const auto psk = CoapRuntime::psk_identity(in.session)) {
    const auto it = psk_devices.find(*psk);
    if (it != psk_devices.end() && !it->second.empty()) device = it->second;
  }
  if (!device) device = directory ? directory->admit("lwm2m", ep) : std::optional<std::string>(ep);
  if (!device) {
    // The registry logs which of the two it was.
    return fail(kForbidden, "endpoint '" + ep +
                                "' is not admitted: it is not a registered device and "
                                "registry.auto_register is off, or it cannot name a device (one "
                                "MQTT topic level, not starting with '$', at most 128 bytes)");
  }

  Client& c = clients[ep];
  if (c.registered && c.identity && c.identity != identity) {
    return fail(kForbidden, "endpoint '" + ep + "' is registered over DTLS by another identity");
  }
  const bool re_registration = c.registered;
  if (re_registration) locations.erase(c.location);
  forget_tokens(c);  // the old session's observations end with it

  c.endpoint = ep;
  c.device_id = *device;
  do {
    c.location = std::to_string(rng() % 0xFFFFFFFFu);
  } while (locations.count(c.location));
  locations[c.location] = ep;
  c.profile.version = q->version.value_or("1.0");
  c.profile.content_formats = list->content_formats;
  c.profile.alternate_path = list->alternate_path;
  c.objects = std::move(*list);
  c.binding = q->binding.value_or("U");
  c.sms = q->sms;
  c.queue_mode = q->queue_mode;
  c.extra = q->extra;
  c.lifetime = lifetime;
  speak_on(c, in.session);
  c.transport = CoapRuntime::is_dtls(in.session) ? "dtls" : "udp";
  c.remote = remote;
  c.identity = identity;
  c.registered = true;
  const auto now = SteadyClock::now();
  c.expires_at = now + std::chrono::seconds(lifetime);
  c.awake_until = now + options.qmode_time_window;
  c.registered_at_ms = c.updated_at_ms = now_ms();
  counters.registrations.add();
  if (!re_registration) counters.clients.add();
  update_snapshot(c);
  TLOG(info, kLog) << (re_registration ? "re-registered" : "registered") << log::kv("ep", ep)
                   << log::kv("device", c.device_id) << log::kv("location", "/rd/" + c.location)
                   << log::kv("lt", lifetime) << log::kv("lwm2m", c.profile.version)
                   << log::kv("b", c.binding) << log::kv("transport", c.transport)
                   << log::kv("identity", identity.value_or("")) << log::kv("remote", remote);
  // Requests to the client go out once the Created response has.
  const bool had_observations = !c.observations.empty();
  asio::post(strand, [weak = weak_from_this(), ep, had_observations] {
    if (auto i = weak.lock()) i->after_register(ep, had_observations);
  });
  return OutgoingResponse{kCreated, {"rd", c.location}, {}};
}

void Server::Impl::after_register(const std::string& endpoint, bool had_observations) {
  auto it = clients.find(endpoint);
  if (stopped || it == clients.end() || !it->second.registered) return;
  Client& c = it->second;
  // A re-registration may speak for another device (a new PSK identity).
  if (c.online_as != c.device_id) go_offline(c);
  if (directory && !c.online_as) {
    directory->set_online(c.device_id, "lwm2m", c.remote);
    c.online_as = c.device_id;
  }
  publish_registration(c, "register", true);
  if (had_observations) reobserve(c);
  if (options.auto_observe_all) {
    // Management objects change rarely or not at all; EMQX skips the same ones.
    static constexpr uint16_t kSkipped[] = {0, 1, 2, 4, 5, 6, 7, 9, 15};
    const auto& links = c.objects.links;
    for (const auto& link : links) {
      if (std::find(std::begin(kSkipped), std::end(kSkipped), link.path.object) !=
          std::end(kSkipped)) {
        continue;
      }
      // "</3303>,</3303/0>": observing the object already covers its instances,
      // and observing both would tell each change twice.
      const bool covered = std::any_of(links.begin(), links.end(), [&](const auto& other) {
        return other.path != link.path && other.path.contains(link.path);
      });
      if (!covered) observe_path(c, link.path);
    }
  } else {
    for (const auto& text : options.auto_observe_paths) {
      auto path = parse_path(text);
      if (!path) continue;
      if (!c.objects.links.empty() && !c.objects.has_object(path->object)) continue;
      observe_path(c, *path);
    }
  }
  flush_queue(c);
}

OutgoingResponse Server::Impl::on_update(const IncomingRequest& in, const std::string& location) {
  const auto loc = locations.find(location);
  if (loc == locations.end()) {
    counters.refused.add();
    return refuse(kNotFound, "no registration /rd/" + location +
                                 " (expired or de-registered): "
                                 "register again");
  }
  Client& c = clients[loc->second];
  const auto identity = coap->peer_identity(in.session);
  if ((c.transport == "dtls") != CoapRuntime::is_dtls(in.session) || c.identity != identity) {
    counters.refused.add();
    return refuse(kForbidden,
                  "an Update must come over the transport and identity that "
                  "registered");
  }
  auto q = parse_update_query(in.uri_query);
  if (!q) {
    counters.refused.add();
    return refuse(kBadRequest, q.error().message);
  }
  std::optional<ObjectList> list;
  if (!in.payload.empty()) {
    if (in.content_format && *in.content_format != kLinkFormat) {
      return refuse(kUnsupportedContentFormat, "the object list must be application/link-format");
    }
    auto parsed = parse_object_list(in.payload);
    if (!parsed) return refuse(kBadRequest, "bad object list: " + parsed.error().message);
    list = std::move(*parsed);
  }
  if (q->lifetime && *q->lifetime != 0) {
    if (*q->lifetime > options.lifetime_max.count()) {
      return refuse(kBadRequest, "lt=" + std::to_string(*q->lifetime) +
                                     " is above lwm2m.lifetime_max (" +
                                     std::to_string(options.lifetime_max.count()) + ")");
    }
    c.lifetime = std::max<int64_t>(*q->lifetime, options.lifetime_min.count());
  }
  if (q->binding) {
    c.binding = *q->binding;
    c.queue_mode = binding_has_queue(*q->binding) || q->queue_mode;
  } else if (q->queue_mode) {
    c.queue_mode = true;
  }
  if (q->sms) c.sms = q->sms;
  if (list) {
    if (!list->content_formats.empty()) c.profile.content_formats = list->content_formats;
    c.profile.alternate_path = list->alternate_path;
    c.objects = std::move(*list);
  }
  if (in.session != c.session.get()) {
    // A new address (or a new DTLS session for the same identity): follow it.
    speak_on(c, in.session);
    c.remote = CoapRuntime::remote(in.session);
  }
  const auto now = SteadyClock::now();
  c.expires_at = now + std::chrono::seconds(c.lifetime);
  c.awake_until = now + options.qmode_time_window;
  c.updated_at_ms = now_ms();
  counters.updates.add();
  update_snapshot(c);
  TLOG(debug, kLog) << "update" << log::kv("ep", c.endpoint) << log::kv("lt", c.lifetime)
                    << log::kv("remote", c.remote);
  const bool with_objects = list.has_value();
  asio::post(strand, [weak = weak_from_this(), ep = c.endpoint, with_objects] {
    auto i = weak.lock();
    if (!i || i->stopped) return;
    auto it = i->clients.find(ep);
    if (it == i->clients.end() || !it->second.registered) return;
    i->publish_registration(it->second, "update", with_objects);
    i->flush_queue(it->second);
  });
  return OutgoingResponse{kChanged, {}, {}};
}

OutgoingResponse Server::Impl::on_deregister(const IncomingRequest& in,
                                             const std::string& location) {
  const auto loc = locations.find(location);
  if (loc == locations.end()) return refuse(kNotFound, "no registration /rd/" + location);
  const Client& c = clients[loc->second];
  if ((c.transport == "dtls") != CoapRuntime::is_dtls(in.session) ||
      c.identity != coap->peer_identity(in.session)) {
    return refuse(kForbidden,
                  "a De-register must come over the transport and identity that "
                  "registered");
  }
  counters.deregistrations.add();
  // What the client sends after its De-register (an Update, a Send, a new
  // Register) may be read before the rest of the ending runs, once the 2.02
  // is out: the registration stops answering for it now, and the ending
  // leaves alone a registration made since.
  const std::string ep = loc->second;
  locations.erase(loc);
  if (const auto s = endpoint_of_session.find(c.session.get());
      s != endpoint_of_session.end() && s->second == ep) {
    endpoint_of_session.erase(s);
  }
  asio::post(strand, [weak = weak_from_this(), ep, location] {
    auto i = weak.lock();
    if (!i) return;
    const auto it = i->clients.find(ep);
    if (it != i->clients.end() && it->second.location == location) i->finish(ep, "de-registered");
  });
  return OutgoingResponse{kDeleted, {}, {}};
}

void Server::Impl::speak_on(Client& c, coap_session_t* session) {
  if (const auto old = endpoint_of_session.find(c.session.get());
      old != endpoint_of_session.end() && old->second == c.endpoint) {
    endpoint_of_session.erase(old);
  }
  c.session = SessionRef(session);
  // The latest registration on a session is the one that speaks there.
  if (session) endpoint_of_session[session] = c.endpoint;
}

void Server::Impl::go_offline(Client& c) {
  if (!c.online_as) return;
  if (directory) directory->set_offline(*c.online_as, "lwm2m");
  c.online_as.reset();
}

void Server::Impl::finish(const std::string& endpoint, std::string_view why) {
  auto it = clients.find(endpoint);
  if (it == clients.end() || !it->second.registered) return;
  Client& c = it->second;
  c.registered = false;
  locations.erase(c.location);
  forget_tokens(c);
  speak_on(c, nullptr);
  counters.clients.sub();
  TLOG(info, kLog) << std::string(why) << log::kv("ep", endpoint) << log::kv("device", c.device_id);
  // Observations stay for the next registration; queued commands cannot wait that long.
  auto queue = std::move(c.queue);
  c.queue.clear();
  for (auto& q : queue) {
    refuse_command(
        endpoint,
        local_reply(
            q.command.request, q.command.req_path, std::nullopt, kNotFound, "not_found",
            "endpoint '" + endpoint + "' is no longer registered (" + std::string(why) + ")"),
        q.callbacks);
  }
  go_offline(c);
  update_snapshot(c);
}

void Server::Impl::sweep() {
  if (stopped) return;
  const auto now = SteadyClock::now();
  std::vector<std::string> expired;
  for (const auto& [ep, c] : clients) {
    if (c.registered && now >= c.expires_at) expired.push_back(ep);
  }
  for (const auto& ep : expired) {
    counters.expirations.add();
    finish(ep, "registration expired");
  }
  sweeper.expires_after(kSweepInterval);
  sweeper.async_wait(asio::bind_executor(strand, [this](boost::system::error_code ec) {
    if (!ec) sweep();
  }));
}

void Server::Impl::publish_registration(const Client& c, std::string_view msg_type,
                                        bool with_objects) {
  RegistrationSummary s;
  s.endpoint = c.endpoint;
  s.lifetime = c.lifetime;
  s.version = c.profile.version;
  s.binding = c.binding;
  s.sms = c.sms;
  s.queue_mode = c.queue_mode;
  s.extra = c.extra;
  s.objects = with_objects ? &c.objects : nullptr;
  const auto& suffix = msg_type == "register" ? options.topics.reg : options.topics.update;
  publish(c.endpoint, suffix, registration_event(msg_type, s));
}

std::optional<std::string> Server::Impl::psk_for(const std::string& identity) {
  if (!auth) {
    TLOG(warn, kLog) << "DTLS PSK refused: no registry to look identities up"
                     << log::kv("identity", identity);
    return std::nullopt;
  }
  auto psk = auth->psk_for_identity(identity);
  if (!psk) {
    TLOG_LIMITED(warn, kLog) << "DTLS PSK identity unknown" << log::kv("identity", identity);
    return std::nullopt;
  }
  psk_devices[identity] = psk->device_id;
  return std::move(psk->key);
}

void Server::Impl::update_snapshot(const Client& c) {
  // One entry at a time: rebuilding every client's summary on each event made
  // registering cost time in proportion to the clients already registered.
  std::lock_guard lock(snapshot_mu);
  if (!c.registered) {
    snapshot.erase(c.endpoint);
    return;
  }
  ClientSummary& s = snapshot[c.endpoint];
  s.endpoint = c.endpoint;
  s.device_id = c.device_id;
  s.location = "/rd/" + c.location;
  s.version = c.profile.version;
  s.binding = c.binding;
  s.transport = c.transport;
  s.remote = c.remote;
  s.lifetime = c.lifetime;
  s.queue_mode = c.queue_mode;
  s.awake = awake(c);
  s.registered_at_ms = c.registered_at_ms;
  s.updated_at_ms = c.updated_at_ms;
  s.objects = c.objects.paths();
  s.queued_commands = c.queue.size();
  s.observations = c.observations.size();
}

}  // namespace trellis::lwm2m
