// Device Management and Information Reporting (LwM2M 1.1 Core 6.3 / 6.4)
// driven by the JSON commands: requests out, answers, notifications,
// timeouts and the queue of a sleeping client.
#include <boost/asio/bind_executor.hpp>

#include "adapters/lwm2m/coap_code.hpp"
#include "adapters/lwm2m/server_impl.hpp"
#include "core/log.hpp"

namespace trellis::lwm2m {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

constexpr const char* kLog = "lwm2m";
constexpr std::size_t kTokenLength = 8;

// The path a command names, for answers to commands that did not parse.
std::string requested_path(const json& request) {
  if (!request.is_object()) return "";
  const auto data = request.find("data");
  if (data == request.end() || !data->is_object()) return "";
  for (const char* key : {"path", "basePath"}) {
    const auto it = data->find(key);
    if (it != data->end() && it->is_string()) {
      auto text = it->get<std::string>();
      return text.substr(0, text.find('?'));
    }
  }
  return "";
}

}  // namespace

void Server::Impl::on_bus_command(const MessagePtr& msg) {
  if (stopped) return;
  // {prefix}/{endpoint}/{command topic...}
  const std::string& topic = msg->topic;
  const std::string head = options.topic_prefix + "/";
  if (topic.compare(0, head.size(), head) != 0) return;
  const auto end = topic.find('/', head.size());
  if (end == std::string::npos) return;
  run_command(topic.substr(head.size(), end - head.size()), msg->body(), {});
}

void Server::Impl::run_command(const std::string& endpoint, std::string_view text,
                               CommandCallbacks cb) {
  if (stopped) return;
  auto request = parse_command_json(text);
  if (!request) {
    counters.bad_commands.add();
    TLOG(debug, kLog) << "bad command" << log::kv("ep", endpoint)
                      << log::kv("why", request.error().message);
    refuse_command(
        endpoint,
        local_reply(json(), "", std::nullopt, kBadRequest, "bad_request", request.error().message),
        cb);
    return;
  }
  const std::string req_path = requested_path(*request);
  auto it = clients.find(endpoint);
  if (it == clients.end() || !it->second.registered) {
    refuse_command(endpoint,
                   local_reply(*request, req_path, std::nullopt, kNotFound, "not_found",
                               "endpoint '" + endpoint + "' is not registered"),
                   cb);
    return;
  }
  Client& c = it->second;
  auto cmd = parse_command(*request, lookup);
  if (!cmd) {
    counters.bad_commands.add();
    refuse_command(endpoint,
                   local_reply(*request, req_path, std::nullopt, kBadRequest, "bad_request",
                               cmd.error().message),
                   cb);
    return;
  }
  if (!c.objects.links.empty() && !c.objects.has_object(cmd->path.object)) {
    refuse_command(endpoint,
                   local_reply(*request, cmd->req_path, std::nullopt, kNotFound, "not_found",
                               "object " + std::to_string(cmd->path.object) +
                                   " is not in the client's object list"),
                   cb);
    return;
  }
  if (cmd->op == Operation::cancel_observe && !c.observations.count(cmd->path.to_string())) {
    refuse_command(endpoint,
                   local_reply(*request, cmd->req_path, std::nullopt, kNotFound, "not_found",
                               "no observation of " + cmd->path.to_string()),
                   cb);
    return;
  }
  // Check now that it translates, so a queued command cannot fail later for its own fault.
  if (auto req = to_coap_request(*cmd, c.profile, lookup); !req) {
    counters.bad_commands.add();
    refuse_command(endpoint,
                   local_reply(*request, cmd->req_path, std::nullopt, kBadRequest, "bad_request",
                               req.error().message),
                   cb);
    return;
  }
  if (!awake(c)) {
    if (c.queue.size() >= options.max_queued_commands) {
      refuse_command(endpoint,
                     local_reply(*request, cmd->req_path, std::nullopt, kServiceUnavailable,
                                 "service_unavailable",
                                 "the client sleeps and already has " +
                                     std::to_string(c.queue.size()) + " commands waiting"),
                     cb);
      return;
    }
    counters.queued.add();
    TLOG(debug, kLog) << "command queued" << log::kv("ep", endpoint)
                      << log::kv("msgType", operation_name(cmd->op));
    c.queue.push_back(QueuedCommand{std::move(*cmd), cb});
    if (cb.queued) cb.queued();
    update_snapshot(c);
    return;
  }
  dispatch(c, std::move(*cmd), std::move(cb));
}

void Server::Impl::dispatch(Client& c, Command cmd, CommandCallbacks cb) {
  auto req = to_coap_request(cmd, c.profile, lookup);
  if (!req) {
    refuse_command(c.endpoint,
                   local_reply(cmd.request, cmd.req_path, std::nullopt, kBadRequest, "bad_request",
                               req.error().message),
                   cb);
    return;
  }
  const std::string path_key = cmd.path.to_string();
  std::string token;
  Status sent = Ok{};
  bool cancel = false;
  if (cmd.op == Operation::cancel_observe) {
    const auto obs = c.observations.find(path_key);
    if (obs == c.observations.end() || obs->second.token.empty()) {
      refuse_command(c.endpoint,
                     local_reply(cmd.request, cmd.req_path, std::nullopt, kNotFound, "not_found",
                                 "no observation of " + path_key),
                     cb);
      return;
    }
    token = obs->second.token;
    cancel = true;
    sent = coap->cancel_observe(c.session.get(), *req, token);
  } else {
    token = new_token();
    sent = coap->send(c.session.get(), *req, token);
  }
  if (!sent) {
    refuse_command(c.endpoint,
                   local_reply(cmd.request, cmd.req_path, std::nullopt, kInternalServerError,
                               "internal_server_error", sent.error().message),
                   cb);
    return;
  }
  counters.requests.add();
  if (cmd.op == Operation::observe) {
    auto& obs = c.observations[path_key];
    if (!obs.token.empty()) observed.erase(obs.token);  // a new observation replaces the old
    obs.command = cmd;
    obs.token.clear();
  }
  TLOG(debug, kLog) << "request" << log::kv("ep", c.endpoint)
                    << log::kv("msgType", operation_name(cmd.op)) << log::kv("path", path_key);
  Pending p;
  p.endpoint = c.endpoint;
  p.command = std::move(cmd);
  p.callbacks = std::move(cb);
  p.cancel = cancel;
  p.timer = std::make_unique<asio::steady_timer>(strand, options.request_timeout);
  p.timer->async_wait(asio::bind_executor(strand, [this, token](boost::system::error_code ec) {
    if (!ec) on_timeout(token);
  }));
  pending[token] = std::move(p);
}

void Server::Impl::flush_queue(Client& c) {
  while (!c.queue.empty() && awake(c) && c.registered) {
    QueuedCommand q = std::move(c.queue.front());
    c.queue.pop_front();
    dispatch(c, std::move(q.command), std::move(q.callbacks));
  }
  update_snapshot(c);
}

void Server::Impl::observe_path(Client& c, const Path& path) {
  const std::string key = path.to_string();
  if (c.observations.count(key)) return;
  json request = {{"msgType", "observe"}, {"data", {{"path", key}}}};
  auto cmd = parse_command(request, lookup);
  if (!cmd) return;
  dispatch(c, std::move(*cmd), {});
}

void Server::Impl::reobserve(Client& c) {
  std::vector<Command> again;
  for (const auto& [path, obs] : c.observations) again.push_back(obs.command);
  for (auto& cmd : again) dispatch(c, std::move(cmd), {});
}

bool Server::Impl::on_coap_response(coap_session_t*, const std::string& token,
                                    const CoapResponse& rsp) {
  if (stopped) return true;
  const auto p = pending.find(token);
  // A notification that crosses our cancel still belongs to the observation.
  if (p != pending.end() && !(p->second.cancel && rsp.observe)) {
    complete(token, rsp);
    return true;
  }
  if (observed.count(token)) {
    notification(token, rsp);
    return true;
  }
  // Not ours (a request we gave up on, an observation we no longer hold):
  // a reset tells the client to stop.
  TLOG(debug, kLog) << "response for an unknown token, reset";
  return false;
}

void Server::Impl::complete(const std::string& token, const CoapResponse& rsp) {
  auto node = pending.extract(token);
  Pending& p = node.mapped();
  if (p.timer) p.timer->cancel();
  counters.responses.add();
  auto it = clients.find(p.endpoint);
  const std::string path_key = p.command.path.to_string();
  if (it != clients.end()) {
    Client& c = it->second;
    if (c.queue_mode) c.awake_until = SteadyClock::now() + options.qmode_time_window;
    if (p.command.op == Operation::observe) {
      auto obs = c.observations.find(path_key);
      if (obs != c.observations.end()) {
        if (is_success(rsp.code) && rsp.observe && c.registered) {
          if (!obs->second.token.empty() && obs->second.token != token) {
            observed.erase(obs->second.token);  // an older request for the same path
          }
          obs->second.token = token;
          obs->second.last_observe = rsp.observe;
          obs->second.last_at = SteadyClock::now();
          observed[token] = {p.endpoint, path_key};
        } else {
          c.observations.erase(obs);  // the client did not take it on
        }
      }
    } else if (p.command.op == Operation::cancel_observe) {
      auto obs = c.observations.find(path_key);
      if (obs != c.observations.end() && obs->second.token == token) {
        observed.erase(token);
        c.observations.erase(obs);
      }
    }
  }
  answer(p.endpoint, command_reply(p.command, rsp, lookup, now_ms()), p.callbacks);
}

void Server::Impl::notification(const std::string& token, const CoapResponse& rsp) {
  const auto [endpoint, path_key] = observed[token];
  auto it = clients.find(endpoint);
  if (it == clients.end()) {
    observed.erase(token);
    return;
  }
  Client& c = it->second;
  const auto obs = c.observations.find(path_key);
  if (obs == c.observations.end()) {
    observed.erase(token);
    return;
  }
  const auto now = SteadyClock::now();
  if (c.queue_mode) c.awake_until = now + options.qmode_time_window;
  Observation& o = obs->second;
  if (is_success(rsp.code) && rsp.observe && o.last_observe) {
    const double later = std::chrono::duration<double>(now - o.last_at).count();
    if (!is_fresher_notification(*o.last_observe, *rsp.observe, later)) {
      TLOG(debug, kLog) << "stale notification dropped" << log::kv("ep", endpoint)
                        << log::kv("path", path_key) << log::kv("observe", *rsp.observe)
                        << log::kv("newest", *o.last_observe);
      return;
    }
  }
  if (rsp.observe) {
    o.last_observe = rsp.observe;
    o.last_at = now;
  }
  counters.notifications.add();
  publish(endpoint, options.topics.notify, notify_message(o.command, rsp, lookup, now_ms()));
  // An error or a response without Observe ends the observation (RFC 7641, 3.2).
  if (!is_success(rsp.code) || !rsp.observe) {
    observed.erase(token);
    c.observations.erase(obs);
  }
}

void Server::Impl::on_timeout(const std::string& token) {
  auto node = pending.extract(token);
  if (node.empty()) return;
  Pending& p = node.mapped();
  counters.timeouts.add();
  auto it = clients.find(p.endpoint);
  if (it != clients.end() && p.command.op == Operation::observe) {
    auto obs = it->second.observations.find(p.command.path.to_string());
    if (obs != it->second.observations.end() && obs->second.token.empty()) {
      it->second.observations.erase(obs);
    }
  }
  TLOG(info, kLog) << "request timed out" << log::kv("ep", p.endpoint)
                   << log::kv("msgType", operation_name(p.command.op))
                   << log::kv("path", p.command.req_path);
  refuse_command(
      p.endpoint,
      local_reply(
          p.command.request, p.command.req_path, "coap_timeout", kGatewayTimeout, "coap_timeout",
          "no answer from the client within " + std::to_string(options.request_timeout.count()) +
              " s (lwm2m.request_timeout_s)"),
      p.callbacks);
}

void Server::Impl::on_coap_failure(const std::string& token, bool reset, const std::string& why) {
  auto node = pending.extract(token);
  if (node.empty()) return;
  Pending& p = node.mapped();
  if (p.timer) p.timer->cancel();
  auto it = clients.find(p.endpoint);
  if (it != clients.end() && p.command.op == Operation::observe) {
    auto obs = it->second.observations.find(p.command.path.to_string());
    if (obs != it->second.observations.end() && obs->second.token.empty()) {
      it->second.observations.erase(obs);
    }
  }
  TLOG(info, kLog) << "request failed" << log::kv("ep", p.endpoint) << log::kv("why", why);
  if (!reset) counters.timeouts.add();
  refuse_command(
      p.endpoint,
      local_reply(p.command.request, p.command.req_path, reset ? "coap_reset" : "coap_timeout",
                  reset ? kBadGateway : kGatewayTimeout, reset ? "coap_reset" : "coap_timeout",
                  why),
      p.callbacks);
}

void Server::Impl::forget_tokens(Client& c) {
  for (auto& [path, obs] : c.observations) {
    if (!obs.token.empty()) observed.erase(obs.token);
    obs.token.clear();
  }
}

void Server::Impl::answer(const std::string& endpoint, const json& reply,
                          const CommandCallbacks& cb) {
  publish(endpoint, options.topics.response, reply);
  if (cb.done) cb.done(to_text(reply));
}

void Server::Impl::refuse_command(const std::string& endpoint, const json& reply,
                                  const CommandCallbacks& cb) {
  publish(endpoint, options.topics.response, reply);
  if (cb.refused) {
    cb.refused(to_text(reply));
  } else if (cb.done) {
    cb.done(to_text(reply));
  }
}

void Server::Impl::publish(const std::string& endpoint, const std::string& suffix, const json& j) {
  std::string device;
  if (auto it = clients.find(endpoint); it != clients.end()) device = it->second.device_id;
  const std::string topic = options.topic_prefix + "/" + endpoint + "/" + suffix;
  bus.publish(make_message(topic, to_text(j), 0, false, Origin::lwm2m, device));
}

bool Server::Impl::awake(const Client& c) const {
  return !c.queue_mode || SteadyClock::now() < c.awake_until;
}

std::string Server::Impl::new_token() {
  std::string token(kTokenLength, '\0');
  do {
    for (auto& ch : token) ch = static_cast<char>(rng() & 0xFF);
  } while (pending.count(token) || observed.count(token));
  return token;
}

}  // namespace trellis::lwm2m
