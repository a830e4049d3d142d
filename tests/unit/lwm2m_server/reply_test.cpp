// CoAP responses -> the JSON published on up/resp and up/notify (EMQX's
// format), and the registration events.
#include "adapters/lwm2m/reply.hpp"

#include <gtest/gtest.h>

#include "adapters/lwm2m/coap_code.hpp"

namespace trellis::lwm2m {
namespace {

using nlohmann::json;
using objects::ResourceType;

std::optional<ResourceType> model(const Path& p) {
  if (!p.resource) return std::nullopt;
  if (p.object == 3 && *p.resource == 1) return ResourceType::string;
  if (p.object == 3 && *p.resource == 9) return ResourceType::integer;
  if (p.object == 3303 && *p.resource == 5700) return ResourceType::float_;
  if (p.object == 5 && *p.resource == 0) return ResourceType::opaque;
  return std::nullopt;
}
const TypeLookup kLookup = model;
constexpr int64_t kNowMs = 1700000000000;

Command command(std::string_view text) {
  auto j = parse_command_json(text);
  auto cmd = parse_command(*j, kLookup);
  EXPECT_TRUE(cmd) << cmd.error().message;
  return *cmd;
}

TEST(Reply, ReadAnswerEchoesKeysAndTypesValues) {
  auto cmd = command(R"({"reqID": 7, "msgType": "read", "data": {"path": "/3/0"}, "imei": "1"})");
  CoapResponse rsp;
  rsp.code = kContent;
  rsp.content_format = 11542;
  rsp.payload = std::string(
      "\xC8\x01\x05"
      "Model"          // resource 1, 8-bit length 5, "Model" (Core 7.4.3)
      "\xC1\x09\x5F",  // resource 9, length 1, 95
      11);
  auto j = command_reply(cmd, rsp, kLookup, kNowMs);
  EXPECT_EQ(j["reqID"], 7);
  EXPECT_EQ(j["msgType"], "read");
  EXPECT_EQ(j["imei"], "1");
  EXPECT_EQ(j["data"]["reqPath"], "/3/0");
  EXPECT_EQ(j["data"]["code"], "2.05");
  EXPECT_EQ(j["data"]["codeMsg"], "content");
  EXPECT_EQ(j["data"]["content"], json::parse(R"([
      {"path": "/3/0/1", "value": "Model"},
      {"path": "/3/0/9", "value": 95}])"));
}

TEST(Reply, OpaqueIsBase64AndFloatIsANumber) {
  auto cmd = command(R"({"reqID": 1, "msgType": "read", "data": {"path": "/5/0/0"}})");
  CoapResponse rsp{kContent, 42, std::string("\x01\x02", 2), std::nullopt, {}};
  EXPECT_EQ(command_reply(cmd, rsp, kLookup, kNowMs)["data"]["content"][0]["value"], "AQI=");
  auto temp = command(R"({"reqID": 1, "msgType": "read", "data": {"path": "/3303/0/5700"}})");
  CoapResponse t{kContent, 0, "21.5", std::nullopt, {}};
  EXPECT_EQ(command_reply(temp, t, kLookup, kNowMs)["data"]["content"][0]["value"], 21.5);
}

TEST(Reply, RelativeSenmlTimeBecomesAbsolute) {
  auto cmd = command(R"({"reqID": 1, "msgType": "read", "data": {"path": "/3303/0/5700"}})");
  CoapResponse rsp{kContent, 110, R"([{"n":"/3303/0/5700","v":20.0,"t":-10}])", std::nullopt, {}};
  auto item = command_reply(cmd, rsp, kLookup, kNowMs)["data"]["content"][0];
  EXPECT_EQ(item["time"], 1699999990.0);
}

TEST(Reply, ErrorCodeHasNoContentButTheDiagnostic) {
  auto cmd = command(R"({"reqID": 2, "msgType": "read", "data": {"path": "/3/0/99"}})");
  CoapResponse rsp{kNotFound, std::nullopt, "no such resource", std::nullopt, {}};
  auto data = command_reply(cmd, rsp, kLookup, kNowMs)["data"];
  EXPECT_EQ(data["code"], "4.04");
  EXPECT_EQ(data["codeMsg"], "not_found");
  EXPECT_FALSE(data.contains("content"));
  EXPECT_EQ(data["error"], "no such resource");
}

TEST(Reply, PayloadThatDoesNotDecodeIsBadGateway) {
  auto cmd = command(R"({"reqID": 3, "msgType": "read", "data": {"path": "/3/0"}})");
  CoapResponse rsp{kContent, 11542, std::string("\xC8\x01", 2), std::nullopt, {}};
  auto data = command_reply(cmd, rsp, kLookup, kNowMs)["data"];
  EXPECT_EQ(data["code"], "5.02");
  EXPECT_EQ(data["clientCode"], "2.05");
  EXPECT_NE(data["error"].get<std::string>().find("TLV"), std::string::npos);
}

TEST(Reply, UnknownContentFormatIsBadGateway) {
  auto cmd = command(R"({"reqID": 3, "msgType": "read", "data": {"path": "/3/0"}})");
  CoapResponse rsp{kContent, 50, "{}", std::nullopt, {}};
  EXPECT_EQ(command_reply(cmd, rsp, kLookup, kNowMs)["data"]["code"], "5.02");
}

TEST(Reply, DiscoverListsLinks) {
  auto cmd = command(R"({"reqID": 4, "msgType": "discover", "data": {"path": "/3/0"}})");
  CoapResponse rsp{kContent, 40, "</3/0>;pmin=10,</3/0/1>,</3/0/9>", std::nullopt, {}};
  EXPECT_EQ(command_reply(cmd, rsp, kLookup, kNowMs)["data"]["content"],
            json::parse(R"(["</3/0>;pmin=10", "</3/0/1>", "</3/0/9>"])"));
}

TEST(Reply, WriteAnswerHasOnlyTheCode) {
  auto cmd =
      command(R"({"reqID": 5, "msgType": "write", "data": {"path": "/3/0/1", "value": "x"}})");
  CoapResponse rsp{kChanged, std::nullopt, "", std::nullopt, {}};
  EXPECT_EQ(command_reply(cmd, rsp, kLookup, kNowMs)["data"],
            json::parse(R"({"reqPath": "/3/0/1", "code": "2.04", "codeMsg": "changed"})"));
}

TEST(Reply, CreateReportsTheLocation) {
  auto cmd = command(R"({"reqID": 6, "msgType": "create", "data": {"basePath": "/3303"}})");
  CoapResponse rsp{kCreated, std::nullopt, "", std::nullopt, {"3303", "4"}};
  auto data = command_reply(cmd, rsp, kLookup, kNowMs)["data"];
  EXPECT_EQ(data["code"], "2.01");
  EXPECT_EQ(data["location"], "/3303/4");
}

TEST(Reply, NotificationCarriesSeqNum) {
  auto cmd = command(R"({"reqID": 8, "msgType": "observe", "data": {"path": "/3303/0/5700"}})");
  CoapResponse rsp{kContent, 0, "22.5", 12, {}};
  auto j = notify_message(cmd, rsp, kLookup, kNowMs);
  EXPECT_EQ(j["reqID"], 8);
  EXPECT_EQ(j["msgType"], "notify");
  EXPECT_EQ(j["seqNum"], 12);
  EXPECT_EQ(j["data"]["content"][0], json::parse(R"({"path": "/3303/0/5700", "value": 22.5})"));
}

TEST(Reply, LocalReplyForTimeout) {
  auto j = local_reply(json::parse(R"({"reqID": 9, "msgType": "read", "data": {"path": "/3"}})"),
                       "/3", "coap_timeout", kGatewayTimeout, "coap_timeout", "no answer");
  EXPECT_EQ(j["reqID"], 9);
  EXPECT_EQ(j["msgType"], "coap_timeout");
  EXPECT_EQ(j["data"]["code"], "5.04");
  EXPECT_EQ(j["data"]["reqPath"], "/3");
  EXPECT_EQ(j["data"]["error"], "no answer");
}

TEST(Reply, LocalReplyForNonObjectRequest) {
  auto j = local_reply(json("garbage"), "", std::nullopt, kBadRequest, "bad_request", "bad json");
  EXPECT_FALSE(j.contains("msgType"));
  EXPECT_EQ(j["data"]["code"], "4.00");
}

TEST(Reply, RegistrationEventAsEmqxSendsIt) {
  auto list = parse_object_list("</1/0>,</3/0>");
  RegistrationSummary reg;
  reg.endpoint = "ep1";
  reg.lifetime = 300;
  reg.version = "1.0";
  reg.binding = "U";
  reg.objects = &*list;
  EXPECT_EQ(registration_event("register", reg), json::parse(R"({
      "msgType": "register",
      "data": {"ep": "ep1", "lt": 300, "lwm2m": "1.0", "b": "U",
               "alternatePath": "/", "objectList": ["/1/0", "/3/0"]}})"));
}

TEST(Reply, ToTextReplacesInvalidUtf8) {
  json j = {{"v", std::string("\xff")}};
  EXPECT_NO_THROW(to_text(j));
}

TEST(Reply, SendCarriesTheReportedValuesByTheirOwnPaths) {
  CoapResponse sent;
  sent.content_format = 110;  // SenML JSON
  sent.payload =
      R"([{"bn": "/3303/0/", "n": "5700", "v": 22.5}, {"bn": "/3/0/", "n": "9", "v": 87}])";
  auto msg = send_message(sent, kLookup, kNowMs);
  ASSERT_TRUE(msg) << msg.error().message;
  EXPECT_EQ(*msg, json::parse(R"({"msgType": "send",
      "data": {"reqPath": "/dp", "code": "2.04", "codeMsg": "changed",
               "content": [{"path": "/3303/0/5700", "value": 22.5},
                           {"path": "/3/0/9", "value": 87}]}})"));

  sent.content_format = 0;  // text/plain names no path
  auto plain = send_message(sent, kLookup, kNowMs);
  ASSERT_FALSE(plain);
  EXPECT_EQ(plain.error().code, "unsupported_format");
  sent.content_format.reset();
  EXPECT_EQ(send_message(sent, kLookup, kNowMs).error().code, "unsupported_format");
  sent.content_format = 40;  // link-format is no Send either
  sent.payload = "</3/0>";
  EXPECT_EQ(send_message(sent, kLookup, kNowMs).error().code, "unsupported_format");
  sent.content_format = 110;
  sent.payload = "";
  EXPECT_FALSE(send_message(sent, kLookup, kNowMs));
  sent.content_format = 110;
  sent.payload = "[{";
  EXPECT_FALSE(send_message(sent, kLookup, kNowMs));
}

TEST(NotificationFreshness, NewerByValueWithWrapOrByTime) {
  // RFC 7641 3.4, 24-bit values.
  EXPECT_TRUE(is_fresher_notification(4, 5, 0.1));
  EXPECT_FALSE(is_fresher_notification(5, 4, 0.2));  // came late: dropped
  EXPECT_FALSE(is_fresher_notification(5, 5, 0.2));
  EXPECT_TRUE(is_fresher_notification(0xFFFFFF, 2, 1));  // wrapped
  EXPECT_FALSE(is_fresher_notification(2, 0xFFFFFF, 1));
  EXPECT_FALSE(is_fresher_notification(0, (1u << 23), 1));  // too far ahead to be newer
  EXPECT_TRUE(is_fresher_notification(0, (1u << 23) - 1, 1));
  EXPECT_TRUE(is_fresher_notification(5, 4, 129));  // after 128 s any value is newer
}

}  // namespace
}  // namespace trellis::lwm2m
