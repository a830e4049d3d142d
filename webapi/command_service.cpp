#include "webapi/command_service.hpp"

#include <boost/asio/post.hpp>
#include <optional>
#include <random>

#include "core/backlog.hpp"
#include "core/json_text.hpp"
#include "core/log.hpp"
#include "core/topic.hpp"
#include "db/database.hpp"
#include "db/device_store.hpp"
#include "webapi/errors.hpp"

namespace trellis::webapi {

namespace net = boost::asio;
using nlohmann::json;

namespace {
constexpr std::string_view kOnlinePrefix = "$events/devices/";

Error bad(std::string m) {
  return make_error(std::string(code::bad_request), std::move(m));
}

// The first level of a topic ("dev/acks/json" -> "dev").
std::string first_level(std::string_view topic) {
  return std::string(topic.substr(0, topic.find('/')));
}

// The device a filter asks for the tasks of: "dev/tasks/json", "dev/#" or
// "dev/+/json" name dev; "+/tasks/json" or "#" name no one in particular.
std::optional<std::string> tasks_listener_of(std::string_view filter) {
  const std::string device = first_level(filter);
  if (device.empty() || device == "+" || device == "#" || device.starts_with('$')) return {};
  if (!topic::matches(filter, tasks_topic(device))) return {};
  return device;
}
}  // namespace

std::string tasks_topic(const std::string& device_id) {
  return device_id + "/tasks/json";
}

Status validate_task_body(const json& body) {
  if (!body.is_object())
    return bad("the command body must be a JSON object with \"command\" or \"write\"");
  const bool has_command = body.contains("command");
  const bool has_write = body.contains("write");
  if (has_command == has_write) {
    return bad(
        "the command body needs exactly one of \"command\" (an object) or \"write\" (an array)");
  }
  for (const auto& [k, v] : body.items()) {
    if (k != "command" && k != "write")
      return bad("unknown member '" + k + "' in the command body");
  }
  if (has_command) {
    const auto& c = body["command"];
    if (!c.is_object())
      return bad("\"command\" must be an object like {\"id\": \"reboot\", \"params\": {}}");
    if (!c.contains("id") || !c["id"].is_string() || c["id"].get<std::string>().empty()) {
      return bad("\"command.id\" must be a non-empty string");
    }
    if (c.contains("params") && !c["params"].is_object())
      return bad("\"command.params\" must be an object");
  } else {
    const auto& w = body["write"];
    if (!w.is_array() || w.empty()) return bad("\"write\" must be a non-empty array of objects");
    for (const auto& item : w) {
      if (!item.is_object()) return bad("\"write\" items must be objects like {\"threshold\": 30}");
    }
  }
  return Ok{};
}

json task_payload(const db::Command& c, int64_t timestamp_ms) {
  json task = {{"uid", c.uid}, {"timestamp", timestamp_ms}};
  for (const auto& [k, v] : c.body.items()) task[k] = v;
  return json::array({task});
}

class CommandService::Listener final : public Subscriber {
 public:
  Listener(std::weak_ptr<CommandService> s, net::strand<net::io_context::executor_type> strand,
           std::size_t max_backlog_bytes)
      : service_(std::move(s)),
        strand_(std::move(strand)),
        backlog_(std::make_shared<Backlog>(max_backlog_bytes)) {}
  // Each ack costs a database read, so a device flooding its acks topic would
  // queue here without bound; the backlog pauses it instead.
  void deliver(const MessagePtr& msg, uint8_t) override {
    const std::size_t bytes = queued_size(*msg);
    backlog_->add(bytes);
    net::post(strand_, [w = service_, msg, backlog = backlog_, bytes] {
      if (auto s = w.lock()) s->on_message(msg);
      backlog->remove(bytes);
    });
  }

 private:
  std::weak_ptr<CommandService> service_;
  net::strand<net::io_context::executor_type> strand_;
  std::shared_ptr<Backlog> backlog_;
};

namespace {
Counter& acks(Metrics& m, const char* result) {
  return m.counter("trellis_command_acks_total",
                   "acks devices sent on {device}/acks/json, by what became of them",
                   std::string("result=\"") + result + "\"");
}
// The LwM2M server's own refusal as the REST error it is: its codeMsg says
// which (an unknown endpoint is not_found, a device that never answered a
// timeout, and so on) and its error says why.
Error lwm2m_refusal(const json& reply) {
  const json* data = reply.is_object() && reply.contains("data") ? &reply["data"] : nullptr;
  const std::string why = data && data->is_object() ? data->value("codeMsg", "") : "";
  std::string message = data && data->is_object() ? data->value("error", "") : "";
  if (message.empty()) message = "the LwM2M server refused the command";
  std::string c = "bad_gateway";  // the client reset the request
  if (why == code::bad_request || why == code::not_found) c = why;
  if (why == "service_unavailable") c = "unavailable";
  if (why == "coap_timeout") c = code::timeout;
  if (why == "internal_server_error") c = code::internal;
  return Error{c, message};
}

}  // namespace

CommandCounters::CommandCounters(Metrics& m)
    : tasks_sent(m.counter("trellis_command_tasks_sent_total",
                           "tasks published to devices on {device}/tasks/json")),
      tasks_timed_out(m.counter("trellis_command_tasks_timed_out_total",
                                "tasks that reached their deadline unanswered")),
      acks_done(acks(m, "done")),
      acks_failed(acks(m, "failed")),
      acks_unknown_task(acks(m, "unknown_task")),
      acks_malformed(acks(m, "malformed")),
      acks_not_applied(acks(m, "not_applied")) {}

CommandService::CommandService(net::io_context& io, Bus& bus, db::Database& db, Metrics& metrics,
                               CommandOptions opts, CommandTarget* lwm2m)
    : io_(io),
      strand_(net::make_strand(io)),
      bus_(bus),
      db_(db),
      opts_(std::move(opts)),
      counters_(metrics),
      lwm2m_(lwm2m),
      sweep_timer_(strand_),
      next_req_id_(static_cast<int64_t>(std::random_device{}() % 1'000'000) * 1000) {}

CommandService::~CommandService() = default;

void CommandService::start() {
  listener_ = std::make_shared<Listener>(weak_from_this(), strand_, opts_.max_backlog_bytes);
  // Devices that came online before we subscribed. A retained event restored
  // from an earlier run may be stale, so the registry's flag must agree.
  std::vector<MessagePtr> online;
  bus_.subscribe(listener_, "$events/devices/+/online", 1,
                 [&](const MessagePtr& m) { online.push_back(m); });
  bus_.subscribe(listener_, "+/acks/json", 1);
  // A device with a clean session subscribes to its tasks after it connects:
  // the tasks waiting for it go out then, not into the void at connect.
  std::weak_ptr<CommandService> weak = weak_from_this();
  bus_.set_subscription_listener([weak](std::string_view filter) {
    auto device = tasks_listener_of(filter);
    if (!device) return;
    if (auto s = weak.lock()) {
      net::post(s->strand_, [s, device = std::move(*device)] {
        if (!s->stopped_) s->send_pending(device);
      });
    }
  });
  for (const auto& m : online) {
    auto rest = std::string_view(m->topic).substr(kOnlinePrefix.size());
    auto d = db_.devices().get(rest.substr(0, rest.rfind('/')));
    if (d && d->online) listener_->deliver(m, 1);
  }
  net::post(strand_, [self = shared_from_this()] { self->schedule_sweep(); });
}

void CommandService::stop() {
  bus_.set_subscription_listener({});
  if (listener_) bus_.unsubscribe_all(listener_.get());
  net::post(strand_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->sweep_timer_.cancel();
    for (auto& [id, w] : self->waiting_) {
      w.timer->cancel();
      w.done(make_error("unavailable", "the server is shutting down"));
    }
    self->waiting_.clear();
  });
}

Result<db::Command> CommandService::create_task(const db::Device& device, const json& body) {
  if (auto v = validate_task_body(body); !v) return v.error();
  db::NewCommand nc;
  nc.device_id = device.id;
  nc.protocol = device.protocol.empty() ? "mqtt" : device.protocol;
  nc.body = body;
  nc.deadline_ms =
      now_ms() + std::chrono::duration_cast<std::chrono::milliseconds>(opts_.timeout).count();
  auto created = db_.commands().create(nc);
  if (!created) return created;
  // Re-read presence now: the device may have connected since the caller looked.
  // A device that has not subscribed yet gets it when it does.
  auto fresh = db_.devices().get(device.id);
  if (fresh && fresh->online && listening(device.id)) {
    auto sent = db_.commands().transition(created->uid, db::CommandState::sent);
    // A conflict means the presence or subscription handler sent it first.
    if (sent) {
      send(*sent);
      return sent;
    }
    if (auto again = db_.commands().get(created->uid)) return again;
  }
  return created;
}

void CommandService::send(const db::Command& c) {
  auto payload = task_payload(c, now_ms()).dump();
  bus_.publish(make_message(tasks_topic(c.device_id), std::move(payload), 1, false, Origin::http));
  counters_.tasks_sent.add();
  TLOG(debug, "commands") << "task sent" << log::kv("device", c.device_id) << log::kv("uid", c.uid);
}

void CommandService::on_message(const MessagePtr& msg) {
  if (stopped_) return;
  const std::string_view t = msg->topic;
  if (t.starts_with(kOnlinePrefix)) {
    auto rest = t.substr(kOnlinePrefix.size());
    const auto slash = rest.rfind('/');
    if (slash != std::string_view::npos && msg->payload && !msg->body().empty()) {
      send_pending(std::string(rest.substr(0, slash)));
    }
  } else if (t.ends_with("/acks/json")) {
    on_ack(first_level(t), msg->body());
  }
}

bool CommandService::listening(const std::string& device_id) const {
  // A filter naming the device is its own (or one made for it); "#" or
  // "+/tasks/json" are applications watching every device.
  return bus_.has_subscribers(tasks_topic(device_id), true);
}

void CommandService::send_pending(const std::string& device_id) {
  // Published to no one, a task would be lost while marked sent; it waits for
  // the device's subscription instead (a persistent session keeps it).
  if (!listening(device_id)) return;
  auto pending = db_.commands().pending_for_device(device_id);
  if (!pending) {
    TLOG(warn, "commands") << "pending tasks unreadable" << log::kv("device", device_id)
                           << log::kv("error", pending.error().message);
    return;
  }
  for (const auto& c : *pending) {
    if (c.protocol == "lwm2m") continue;
    auto sent = db_.commands().transition(c.uid, db::CommandState::sent);
    if (sent) send(*sent);
  }
}

void CommandService::on_ack(const std::string& device_id, std::string_view payload) {
  // Too deep to copy safely (see max_json_depth) reads as not JSON.
  json j = json_nesting_within(payload) ? json::parse(payload, nullptr, false) : json();
  if (j.is_object()) j = json::array({j});
  if (!j.is_array()) {
    counters_.acks_malformed.add();
    TLOG_LIMITED(info, "commands")
        << "ack is not a JSON object or array" << log::kv("device", device_id);
    return;
  }
  for (const auto& ack : j) {
    if (!ack.is_object() || !ack.contains("uid") || !ack["uid"].is_string()) {
      counters_.acks_malformed.add();
      TLOG_LIMITED(info, "commands") << "ack without uid" << log::kv("device", device_id);
      continue;
    }
    const auto uid = ack["uid"].get<std::string>();
    auto c = db_.commands().get(uid);
    if (!c || c->device_id != device_id) {
      counters_.acks_unknown_task.add();
      TLOG_LIMITED(info, "commands")
          << "ack for an unknown task" << log::kv("device", device_id) << log::kv("uid", uid);
      continue;
    }
    const std::string status = string_member(ack, "status").value_or("");
    const std::string message = string_member(ack, "message").value_or("");
    const auto to = status == "OK" ? db::CommandState::done : db::CommandState::failed;
    auto r = db_.commands().transition(
        uid, to, ack,
        to == db::CommandState::failed && message.empty() && status != "ERROR"
            ? "unknown ack status '" + status + "'"
            : message);
    if (!r) {
      counters_.acks_not_applied.add();
      TLOG_LIMITED(info, "commands")
          << "ack not applied" << log::kv("uid", uid) << log::kv("error", r.error().message);
      continue;
    }
    (to == db::CommandState::done ? counters_.acks_done : counters_.acks_failed).add();
  }
}

void CommandService::lwm2m_request(const std::string& endpoint, json command,
                                   std::chrono::milliseconds timeout, LwM2MDone done) {
  // The caller's own integer reqID is kept, as over MQTT; the answer comes
  // back through this request's callbacks, so it need not be unique.
  const int64_t key = ++next_req_id_;
  if (!command.contains("reqID") || !command["reqID"].is_number_integer()) command["reqID"] = key;
  const int64_t req_id = command["reqID"].get<int64_t>();
  net::post(strand_, [self = shared_from_this(), endpoint, command = std::move(command), timeout,
                      done = std::move(done), key, req_id]() mutable {
    if (self->stopped_ || !self->lwm2m_) {
      done(make_error("unavailable", self->stopped_ ? "the server is shutting down"
                                                    : "the LwM2M server is not running"));
      return;
    }
    auto timer = std::make_shared<net::steady_timer>(self->strand_, timeout);
    self->waiting_[key] = Waiting{std::move(done), timer};
    timer->async_wait([self, key, endpoint](const boost::system::error_code& ec) {
      if (ec) return;
      self->finish_lwm2m(key,
                         make_error(std::string(code::timeout),
                                    "no answer from LwM2M endpoint '" + endpoint + "' in time"));
    });
    // The adapter calls back on its own strand; the answer comes home to ours.
    std::weak_ptr<CommandService> weak = self;
    CommandCallbacks callbacks{
        [weak, key, req_id] {
          if (auto s = weak.lock()) {
            net::post(s->strand_, [s, key, req_id] {
              s->finish_lwm2m(key, LwM2MAnswer{req_id, true, {}});
            });
          }
        },
        [weak, key, req_id](const std::string& text) {
          if (auto s = weak.lock()) {
            net::post(s->strand_, [s, key, req_id, text] {
              s->finish_lwm2m(key, LwM2MAnswer{req_id, false, json::parse(text, nullptr, false)});
            });
          }
        },
        [weak, key](const std::string& text) {
          if (auto s = weak.lock()) {
            net::post(s->strand_, [s, key, text] {
              s->finish_lwm2m(key, lwm2m_refusal(json::parse(text, nullptr, false)));
            });
          }
        }};
    self->lwm2m_->submit(endpoint, command.dump(), std::move(callbacks));
  });
}

void CommandService::finish_lwm2m(int64_t key, Result<LwM2MAnswer> answer) {
  auto it = waiting_.find(key);
  if (it == waiting_.end()) return;  // timed out or answered already
  it->second.timer->cancel();
  auto done = std::move(it->second.done);
  waiting_.erase(it);
  done(std::move(answer));
}

void CommandService::schedule_sweep() {
  if (stopped_) return;
  sweep_timer_.expires_after(opts_.sweep_every);
  sweep_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->stopped_) return;
    self->sweep();
    self->schedule_sweep();
  });
}

void CommandService::sweep() {
  auto expired = db_.commands().expire_overdue(now_ms());
  if (!expired) return;
  counters_.tasks_timed_out.add(expired->size());
  for (const auto& c : *expired) {
    TLOG(info, "commands") << "task timed out" << log::kv("device", c.device_id)
                           << log::kv("uid", c.uid);
  }
}

}  // namespace trellis::webapi
