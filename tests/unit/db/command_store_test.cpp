#include "db/command_store.hpp"

#include <gtest/gtest.h>

#include "db/device_store.hpp"
#include "db_test_util.hpp"

namespace trellis::db {
namespace {

using testing::open_db;
using testing::TempDir;
using testing::test_options;

class CommandStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    o_ = test_options(dir_.path());
    db_ = open_db(o_);
    ASSERT_TRUE(db_);
    ASSERT_TRUE(db_->devices().create(NewDevice{.id = "d"}));
  }
  CommandStore& cmds() { return db_->commands(); }
  TempDir dir_;
  DatabaseOptions o_;
  std::unique_ptr<Database> db_;
};

NewCommand reboot(std::string uid = "c1") {
  return NewCommand{.uid = std::move(uid),
                    .device_id = "d",
                    .protocol = "mqtt",
                    .body = {{"command", {{"id", "reboot"}, {"params", nlohmann::json::object()}}}},
                    .deadline_ms = 0};
}

TEST_F(CommandStoreTest, LifecyclePendingSentDone) {
  auto c = cmds().create(reboot());
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->state, CommandState::pending);
  EXPECT_EQ(c->body["command"]["id"], "reboot");
  EXPECT_TRUE(c->result.is_null());

  auto sent = cmds().transition("c1", CommandState::sent);
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->state, CommandState::sent);

  auto done = cmds().transition("c1", CommandState::done, nlohmann::json{{"status", "OK"}}, "fine");
  ASSERT_TRUE(done);
  EXPECT_EQ(done->state, CommandState::done);
  EXPECT_EQ(done->result, nlohmann::json({{"status", "OK"}}));
  EXPECT_EQ(done->message, "fine");
  EXPECT_GE(done->updated_ms, done->created_ms);

  auto again = cmds().transition("c1", CommandState::failed);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "conflict");
  EXPECT_EQ(cmds().get("c1")->state, CommandState::done);
}

TEST_F(CommandStoreTest, SentCannotGoBackToPending) {
  ASSERT_TRUE(cmds().create(reboot()));
  ASSERT_TRUE(cmds().transition("c1", CommandState::sent));
  EXPECT_EQ(cmds().transition("c1", CommandState::pending).error().code, "conflict");
}

TEST_F(CommandStoreTest, GeneratedUidsAndErrors) {
  auto a = cmds().create(reboot(""));
  auto b = cmds().create(reboot(""));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->uid.size(), 16u);
  EXPECT_NE(a->uid, b->uid);
  EXPECT_EQ(cmds().create(reboot(a->uid)).error().code, "conflict");
  auto orphan = reboot("x");
  orphan.device_id = "ghost";
  EXPECT_EQ(cmds().create(orphan).error().code, "not_found");
  EXPECT_EQ(cmds().get("nope").error().code, "not_found");
  EXPECT_EQ(cmds().transition("nope", CommandState::sent).error().code, "not_found");
}

TEST_F(CommandStoreTest, PendingForDeviceOldestFirst) {
  ASSERT_TRUE(cmds().create(reboot("a")));
  ASSERT_TRUE(cmds().create(reboot("b")));
  ASSERT_TRUE(cmds().create(reboot("c")));
  ASSERT_TRUE(cmds().transition("b", CommandState::sent));
  auto p = cmds().pending_for_device("d");
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 2u);
  EXPECT_EQ((*p)[0].uid, "a");
  EXPECT_EQ((*p)[1].uid, "c");
}

TEST_F(CommandStoreTest, ExpireOverdueTimesOutOpenCommandsOnly) {
  auto late = reboot("late");
  late.deadline_ms = 1000;
  auto later = reboot("later");
  later.deadline_ms = 5000;
  auto finished = reboot("finished");
  finished.deadline_ms = 1000;
  ASSERT_TRUE(cmds().create(late));
  ASSERT_TRUE(cmds().create(later));
  ASSERT_TRUE(cmds().create(finished));
  ASSERT_TRUE(cmds().create(reboot("forever")));  // no deadline
  ASSERT_TRUE(cmds().transition("late", CommandState::sent));
  ASSERT_TRUE(cmds().transition("finished", CommandState::done));
  auto expired = cmds().expire_overdue(2000);
  ASSERT_TRUE(expired);
  ASSERT_EQ(expired->size(), 1u);
  EXPECT_EQ((*expired)[0].uid, "late");
  EXPECT_EQ((*expired)[0].state, CommandState::timed_out);
  EXPECT_FALSE((*expired)[0].message.empty());
  EXPECT_EQ(cmds().get("later")->state, CommandState::pending);
  EXPECT_EQ(cmds().get("forever")->state, CommandState::pending);
}

TEST_F(CommandStoreTest, ListNewestFirstWithCursor) {
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(cmds().create(reboot("c" + std::to_string(i))));
  std::vector<std::string> seen;
  std::string cursor;
  do {
    auto page = cmds().list("d", 3, cursor);
    ASSERT_TRUE(page) << page.error().message;
    for (const auto& c : page->commands) seen.push_back(c.uid);
    cursor = page->next_cursor;
  } while (!cursor.empty());
  ASSERT_EQ(seen.size(), 7u);
  std::vector<std::string> sorted = seen;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::unique(sorted.begin(), sorted.end()), sorted.end());
}

TEST_F(CommandStoreTest, OpenCommandsSurviveRestart) {
  ASSERT_TRUE(cmds().create(reboot("keep")));
  db_.reset();
  db_ = open_db(o_);
  ASSERT_TRUE(db_);
  auto p = db_->commands().pending_for_device("d");
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 1u);
  EXPECT_EQ((*p)[0].body["command"]["id"], "reboot");
}

TEST(CommandState, NamesRoundTrip) {
  for (auto s : {CommandState::pending, CommandState::sent, CommandState::done,
                 CommandState::failed, CommandState::timed_out}) {
    EXPECT_EQ(parse_command_state(command_state_name(s)), s);
  }
  EXPECT_EQ(parse_command_state("bogus"), std::nullopt);
}

}  // namespace
}  // namespace trellis::db
