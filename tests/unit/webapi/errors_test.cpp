#include "webapi/errors.hpp"

#include <gtest/gtest.h>

namespace trellis::webapi {
namespace {

TEST(Errors, BodyHasCodeAndMessage) {
  auto r = error_response(404, "not_found", "device 'x' does not exist");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.content_type, "application/json");
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["error"]["code"], "not_found");
  EXPECT_EQ(j["error"]["message"], "device 'x' does not exist");
}

TEST(Errors, StoreCodesMapToStatuses) {
  EXPECT_EQ(status_for("not_found"), 404u);
  EXPECT_EQ(status_for("conflict"), 409u);
  EXPECT_EQ(status_for("invalid_argument"), 400u);
  EXPECT_EQ(status_for("bad_json"), 400u);
  EXPECT_EQ(status_for("bad_gateway"), 502u);
  EXPECT_EQ(status_for("unavailable"), 503u);
  EXPECT_EQ(status_for("timeout"), 504u);
  EXPECT_EQ(status_for("storage"), 500u);
  EXPECT_EQ(error_response(make_error("conflict", "taken")).status, 409u);
}

TEST(Errors, BadJsonNamesWhereItBroke) {
  auto r = parse_json_body("{\"id\": ");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "bad_json");
  EXPECT_NE(r.error().message.find("column"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("json.exception"), std::string::npos) << r.error().message;
}

TEST(Errors, EmptyBodyIsBadJson) {
  EXPECT_EQ(parse_json_body("").error().code, "bad_json");
}

TEST(Errors, InvalidUtf8InAnswerIsReplacedNotThrown) {
  auto r = json_response(200, {{"s", std::string("\xff")}});
  EXPECT_EQ(r.status, 200u);
}

TEST(Errors, InvalidUtf8QuotedInAnErrorIsReplacedNotThrown) {
  // "no route for GET /\xff": the message quotes the request target.
  auto r = error_response(404, "not_found", "no route for GET /\xff");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["message"], "no route for GET /\xef\xbf\xbd");
}

TEST(Errors, NestingPastTheLimitIsBadJsonBeforeParsing) {
  const std::string deep = std::string(400000, '[') + std::string(400000, ']');
  auto r = parse_json_body(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "bad_json");
  EXPECT_NE(r.error().message.find("deeper than 32"), std::string::npos) << r.error().message;
  EXPECT_TRUE(parse_json_body(std::string(32, '[') + std::string(32, ']')).ok());
}

TEST(Errors, ANumberPastDoubleIsBadJsonNotAServerError) {
  auto r = parse_json_body(R"({"a": 1e400})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "bad_json");
}

}  // namespace
}  // namespace trellis::webapi
