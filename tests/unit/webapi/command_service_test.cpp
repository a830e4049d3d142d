// The command service on a running io_context with a real database: tasks
// sent when the device comes online, acks, LwM2M request/response by reqID.
#include "webapi/command_service.hpp"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <random>
#include <thread>

#include "db/database.hpp"
#include "db/device_store.hpp"

namespace trellis::webapi {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Queues what arrives; wait() blocks the test thread, never the bus.
class Inbox final : public Subscriber {
 public:
  void deliver(const MessagePtr& msg, uint8_t) override {
    std::lock_guard l(mu_);
    got_.push_back(msg);
    cv_.notify_all();
  }
  MessagePtr wait(std::size_t n = 1) {
    std::unique_lock l(mu_);
    cv_.wait_for(l, std::chrono::seconds(5), [&] { return got_.size() >= n; });
    return got_.size() >= n ? got_[n - 1] : nullptr;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<MessagePtr> got_;
};

// The LwM2M adapter's side of submit(), scripted per endpoint: "ep1" answers
// from another thread with the command's reqID, "sleepy" says the command is
// queued, "gone" and "reset" are refused by the adapter itself, anything else
// never answers.
class ScriptedTarget final : public CommandTarget {
 public:
  void submit(const std::string& endpoint, const std::string& command_json,
              CommandCallbacks callbacks) override {
    auto command = json::parse(command_json);
    if (endpoint == "ep1") {
      json answer = {
          {"reqID", command["reqID"]}, {"msgType", "read"}, {"data", {{"code", "2.05"}}}};
      std::thread([answer, cb = std::move(callbacks)] { cb.done(answer.dump()); }).detach();
    } else if (endpoint == "sleepy") {
      callbacks.queued();
    } else if (endpoint == "gone") {
      json refusal = {{"reqID", command["reqID"]},
                      {"msgType", "read"},
                      {"data",
                       {{"code", "4.04"},
                        {"codeMsg", "not_found"},
                        {"error", "endpoint 'gone' is not registered"}}}};
      callbacks.refused(refusal.dump());
    } else if (endpoint == "reset") {
      callbacks.refused(R"({"msgType": "coap_reset", "data": {"codeMsg": "coap_reset"}})");
    }
  }
};

class CommandServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("webapi-cmd-" + std::to_string(std::random_device{}()));
    db::DatabaseOptions o;
    o.path = dir_ / "t.db";
    o.password_iterations = 1;
    auto opened = db::Database::open(o);
    ASSERT_TRUE(opened.ok());
    db_ = std::move(*opened);
    db::NewDevice d;
    d.id = "m";
    ASSERT_TRUE(db_->devices().create(d).ok());
    CommandOptions co;
    co.sweep_every = std::chrono::milliseconds(20);
    service_ = std::make_shared<CommandService>(io_, bus_, *db_, metrics_, co, &target_);
    service_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    service_->stop();
    work_.reset();
    io_.stop();
    thread_.join();
    db_->close();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Polls the store until the command reaches `s` (bounded).
  db::Command wait_state(const std::string& uid, db::CommandState s) {
    for (int i = 0; i < 250; ++i) {
      auto c = db_->commands().get(uid);
      if (c && c->state == s) return *c;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "command " << uid << " never reached " << db::command_state_name(s);
    return {};
  }

  int64_t acks(const std::string& result) {
    return metrics_.value("trellis_command_acks_total", "result=\"" + result + "\"");
  }
  // Polls until `n` acks have had `result` (bounded); the service counts on its strand.
  void wait_acks(const std::string& result, int64_t n) {
    for (int i = 0; i < 250 && acks(result) < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(acks(result), n) << result;
  }

  fs::path dir_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  Bus bus_;
  Metrics metrics_;
  ScriptedTarget target_;
  std::unique_ptr<db::Database> db_;
  std::shared_ptr<CommandService> service_;
  std::thread thread_;
};

TEST_F(CommandServiceTest, PendingTaskIsSentWhenTheDeviceComesOnlineAndAcked) {
  auto inbox = std::make_shared<Inbox>();
  bus_.subscribe(inbox, "m/tasks/json", 1);
  auto device = db_->devices().get("m");
  auto c = service_->create_task(*device, json::parse(R"({"command": {"id": "reboot"}})"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->state, db::CommandState::pending);

  bus_.publish(make_message("$events/devices/m/online",
                            R"({"device": "m", "protocol": "mqtt", "time": 1})", 1, true));
  auto task = inbox->wait();
  ASSERT_TRUE(task);
  EXPECT_EQ(task->qos, 1);
  EXPECT_EQ(json::parse(task->body())[0]["uid"], c->uid);
  wait_state(c->uid, db::CommandState::sent);

  bus_.publish(make_message("m/acks/json", R"([{"uid": ")" + c->uid + R"(", "status": "OK"}])"));
  wait_state(c->uid, db::CommandState::done);
  wait_acks("done", 1);
  EXPECT_EQ(metrics_.value("trellis_command_tasks_sent_total"), 1);
  EXPECT_EQ(acks("failed") + acks("unknown_task") + acks("malformed") + acks("not_applied"), 0);

  // The same ack again finds the task done already.
  bus_.publish(make_message("m/acks/json", R"([{"uid": ")" + c->uid + R"(", "status": "OK"}])"));
  wait_acks("not_applied", 1);
  EXPECT_EQ(db_->commands().get(c->uid)->state, db::CommandState::done);
}

TEST_F(CommandServiceTest, ErrorAckFailsTheTaskWithItsMessage) {
  auto c = service_->create_task(*db_->devices().get("m"), json::parse(R"({"write": [{"a": 1}]})"));
  ASSERT_TRUE(c.ok());
  bus_.publish(make_message("m/acks/json",
                            R"({"uid": ")" + c->uid + R"(", "status": "ERROR", "message": "no"})"));
  EXPECT_EQ(wait_state(c->uid, db::CommandState::failed).message, "no");
  wait_acks("failed", 1);
}

TEST_F(CommandServiceTest, MembersOfAnotherTypeReadAsAbsent) {
  auto c = service_->create_task(*db_->devices().get("m"), json::parse(R"({"write": [{"a": 1}]})"));
  ASSERT_TRUE(c.ok());
  bus_.publish(
      make_message("m/acks/json", R"({"uid": ")" + c->uid + R"(", "status": 1, "message": {}})"));
  EXPECT_EQ(wait_state(c->uid, db::CommandState::failed).message, "unknown ack status ''");
  wait_acks("failed", 1);
}

TEST_F(CommandServiceTest, AcksThatAreNotAcksAreCountedAndChangeNothing) {
  auto c = service_->create_task(*db_->devices().get("m"), json::parse(R"({"write": [{"a": 1}]})"));
  ASSERT_TRUE(c.ok());
  for (const char* bad : {"not json", "42", R"("OK")", R"([{"status": "OK"}, 5, {"uid": 7}])"}) {
    bus_.publish(make_message("m/acks/json", bad));
  }
  wait_acks("malformed", 6);
  EXPECT_EQ(acks("done") + acks("failed") + acks("unknown_task"), 0);
  EXPECT_EQ(db_->commands().get(c->uid)->state, db::CommandState::pending);
}

TEST_F(CommandServiceTest, AckFromAnotherDeviceIsIgnored) {
  auto c = service_->create_task(*db_->devices().get("m"), json::parse(R"({"write": [{"a": 1}]})"));
  ASSERT_TRUE(c.ok());
  bus_.publish(
      make_message("other/acks/json", R"([{"uid": ")" + c->uid + R"(", "status": "OK"}])"));
  wait_acks("unknown_task", 1);
  EXPECT_EQ(db_->commands().get(c->uid)->state, db::CommandState::pending);
}

using Answer = Result<CommandService::LwM2MAnswer>;

Answer lwm2m_answer(CommandService& service, const std::string& endpoint,
                    std::chrono::milliseconds timeout) {
  std::promise<Answer> done;
  auto f = done.get_future();
  service.lwm2m_request(endpoint, json::parse(R"({"msgType": "read", "data": {"path": "/3/0/0"}})"),
                        timeout, [&](Answer r) { done.set_value(std::move(r)); });
  EXPECT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  return f.get();
}

TEST_F(CommandServiceTest, LwM2MAnswerCarriesTheFreshReqId) {
  auto r = lwm2m_answer(*service_, "ep1", std::chrono::seconds(5));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->queued);
  EXPECT_EQ(r->response["data"]["code"], "2.05");
  EXPECT_EQ(r->response["reqID"], r->req_id);
}

TEST_F(CommandServiceTest, LwM2MKeepsTheCallersOwnReqIdEvenWhenTwoShareIt) {
  std::promise<Answer> first, second;
  const auto read = json::parse(R"({"reqID": 42, "msgType": "read", "data": {"path": "/3/0/0"}})");
  service_->lwm2m_request("ep1", read, std::chrono::seconds(5),
                          [&](Answer r) { first.set_value(std::move(r)); });
  service_->lwm2m_request("ep1", read, std::chrono::seconds(5),
                          [&](Answer r) { second.set_value(std::move(r)); });
  for (auto* p : {&first, &second}) {
    auto f = p->get_future();
    ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
    auto r = f.get();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->req_id, 42);
    EXPECT_EQ(r->response["reqID"], 42);
  }
}

TEST_F(CommandServiceTest, LwM2MCommandForASleepingDeviceIsQueued) {
  auto r = lwm2m_answer(*service_, "sleepy", std::chrono::seconds(5));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->queued);
  EXPECT_NE(r->req_id, 0);
}

TEST_F(CommandServiceTest, LwM2MWithoutAnswerTimesOut) {
  auto r = lwm2m_answer(*service_, "ep2", std::chrono::milliseconds(50));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "timeout");
}

TEST_F(CommandServiceTest, LwM2MRefusedByTheAdapterIsAnErrorNamingWhy) {
  auto r = lwm2m_answer(*service_, "gone", std::chrono::seconds(5));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "not_found");
  EXPECT_EQ(r.error().message, "endpoint 'gone' is not registered");
  r = lwm2m_answer(*service_, "reset", std::chrono::seconds(5));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "bad_gateway");
  EXPECT_EQ(r.error().message, "the LwM2M server refused the command");
}

TEST_F(CommandServiceTest, LwM2MWithoutAnAdapterIsUnavailable) {
  CommandOptions co;
  auto lone = std::make_shared<CommandService>(io_, bus_, *db_, metrics_, co);
  lone->start();
  auto r = lwm2m_answer(*lone, "ep1", std::chrono::seconds(5));
  lone->stop();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "unavailable");
}

TEST_F(CommandServiceTest, OverdueTaskTimesOut) {
  db::NewCommand nc;
  nc.device_id = "m";
  nc.protocol = "mqtt";
  nc.body = json::parse(R"({"command": {"id": "x"}})");
  nc.deadline_ms = now_ms() - 1;
  auto c = db_->commands().create(nc);
  ASSERT_TRUE(c.ok());
  wait_state(c->uid, db::CommandState::timed_out);
  for (int i = 0; i < 250 && metrics_.value("trellis_command_tasks_timed_out_total") < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(metrics_.value("trellis_command_tasks_timed_out_total"), 1);
}

}  // namespace
}  // namespace trellis::webapi
