#pragma once
// Commands to devices. MQTT devices get tasks: stored in the CommandStore,
// published on `{device}/tasks/json` (QoS 1) when the device is online or
// when it next connects (`$events/devices/+/online`), moved on by the acks on
// `{device}/acks/json` and timed out by a periodic sweep. LwM2M devices get
// the EMQX JSON command through the LwM2M adapter (a CommandTarget), which
// answers when the device does or says the command waits for a sleeping one.
//
// All bus traffic and timers are handled on the service's own strand; the
// public functions may be called from any thread.
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/bus.hpp"
#include "core/clients.hpp"
#include "core/metrics.hpp"
#include "core/result.hpp"
#include "db/command_store.hpp"
#include "db/device.hpp"

namespace trellis::db {
class Database;
}

namespace trellis::webapi {

struct CommandOptions {
  std::chrono::seconds timeout{60};  // commands.timeout_s
  // Acks and presence events waiting to be handled (commands.max_backlog_mb);
  // past it, the MQTT clients sending them pause, as for telemetry.
  std::size_t max_backlog_bytes = 16 << 20;
  std::chrono::milliseconds sweep_every{1000};
};

// Where a device's tasks are published.
std::string tasks_topic(const std::string& device_id);

// {"command": {...}} or {"write": [...]}, nothing else; a bad_request error
// names the member at fault.
Status validate_task_body(const nlohmann::json& body);
// The task as published: [{"uid", "timestamp", ...body}].
nlohmann::json task_payload(const db::Command& c, int64_t timestamp_ms);

// What GET /metrics says about tasks and the acks devices send for them.
struct CommandCounters {
  explicit CommandCounters(Metrics& m);
  Counter& tasks_sent;
  Counter& tasks_timed_out;
  // trellis_command_acks_total by result: the task is done or failed; the
  // ack names no task of this device; it is not an ack at all; or the task
  // had moved on (answered or timed out) already.
  Counter& acks_done;
  Counter& acks_failed;
  Counter& acks_unknown_task;
  Counter& acks_malformed;
  Counter& acks_not_applied;
};

class CommandService : public std::enable_shared_from_this<CommandService> {
 public:
  // `lwm2m` (may be null: LwM2M commands then answer "unavailable") runs LwM2M commands.
  CommandService(boost::asio::io_context& io, Bus& bus, db::Database& db, Metrics& metrics,
                 CommandOptions opts, CommandTarget* lwm2m = nullptr);
  ~CommandService();

  // Subscribes on the bus, sends what waits for devices already online and
  // starts the timeout sweep.
  void start();
  void stop();

  // Creates an MQTT task for the device and sends it when the device is online.
  // Errors: bad_request (body), the CommandStore's.
  Result<db::Command> create_task(const db::Device& device, const nlohmann::json& body);

  struct LwM2MAnswer {
    int64_t req_id = 0;
    bool queued = false;      // the device sleeps; the command runs when it wakes
    nlohmann::json response;  // the device's answer (the up/resp JSON) unless queued
  };
  using LwM2MDone = std::function<void(Result<LwM2MAnswer>)>;
  // Runs an EMQX JSON command, with a fresh reqID unless it has an integer
  // one of its own; `done` runs once on the service's strand with the
  // answer, the news that it is queued, or an error.
  void lwm2m_request(const std::string& endpoint, nlohmann::json command,
                     std::chrono::milliseconds timeout, LwM2MDone done);

 private:
  class Listener;
  void on_message(const MessagePtr& msg);
  // Whether a subscription naming the device matches its tasks topic.
  bool listening(const std::string& device_id) const;
  // Sends the device's pending MQTT tasks while it is listening.
  void send_pending(const std::string& device_id);
  void on_ack(const std::string& device_id, std::string_view payload);
  void finish_lwm2m(int64_t key, Result<LwM2MAnswer> answer);
  void send(const db::Command& c);
  void schedule_sweep();
  void sweep();

  boost::asio::io_context& io_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  Bus& bus_;
  db::Database& db_;
  CommandOptions opts_;
  CommandCounters counters_;
  CommandTarget* lwm2m_;
  std::shared_ptr<Listener> listener_;
  boost::asio::steady_timer sweep_timer_;
  bool stopped_ = false;

  struct Waiting {
    LwM2MDone done;
    std::shared_ptr<boost::asio::steady_timer> timer;
  };
  // Strand only.
  std::map<int64_t, Waiting> waiting_;
  std::atomic<int64_t> next_req_id_;
};

}  // namespace trellis::webapi
