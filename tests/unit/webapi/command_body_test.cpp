#include <gtest/gtest.h>

#include "webapi/command_service.hpp"

namespace trellis::webapi {
namespace {

using nlohmann::json;

TEST(TaskBody, CommandWithIdIsAccepted) {
  EXPECT_TRUE(
      validate_task_body(json::parse(R"({"command": {"id": "reboot", "params": {"delay": 5}}})"))
          .ok());
}
TEST(TaskBody, WriteListIsAccepted) {
  EXPECT_TRUE(validate_task_body(json::parse(R"({"write": [{"threshold": 30}]})")).ok());
}
TEST(TaskBody, NotAnObjectIsRefused) {
  EXPECT_FALSE(validate_task_body(json::array()).ok());
}
TEST(TaskBody, BothCommandAndWriteAreRefused) {
  EXPECT_FALSE(validate_task_body(json::parse(R"({"command": {"id": "a"}, "write": [{}]})")).ok());
}
TEST(TaskBody, NeitherCommandNorWriteIsRefused) {
  EXPECT_FALSE(validate_task_body(json::object()).ok());
}
TEST(TaskBody, CommandWithoutIdIsRefused) {
  auto r = validate_task_body(json::parse(R"({"command": {"params": {}}})"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("command.id"), std::string::npos);
}
TEST(TaskBody, ParamsNotObjectIsRefused) {
  EXPECT_FALSE(validate_task_body(json::parse(R"({"command": {"id": "a", "params": 3}})")).ok());
}
TEST(TaskBody, EmptyWriteIsRefused) {
  EXPECT_FALSE(validate_task_body(json::parse(R"({"write": []})")).ok());
}
TEST(TaskBody, WriteItemNotObjectIsRefused) {
  EXPECT_FALSE(validate_task_body(json::parse(R"({"write": [30]})")).ok());
}
TEST(TaskBody, UnknownMemberIsRefused) {
  auto r = validate_task_body(json::parse(R"({"command": {"id": "a"}, "uid": "x"})"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("'uid'"), std::string::npos);
}

TEST(TaskPayload, AddsUidAndTimestampInAList) {
  db::Command c;
  c.uid = "c1";
  c.body = json::parse(R"({"command": {"id": "reboot", "params": {}}})");
  EXPECT_EQ(
      task_payload(c, 1700000000000),
      json::parse(
          R"([{"uid": "c1", "timestamp": 1700000000000, "command": {"id": "reboot", "params": {}}}])"));
}

}  // namespace
}  // namespace trellis::webapi
