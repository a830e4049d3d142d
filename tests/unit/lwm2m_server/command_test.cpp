// EMQX-style JSON commands -> CoAP requests (LwM2M 1.1 Core 6.3 / 6.4,
// Transport 6.4; EMQX LwM2M gateway message format).
#include "adapters/lwm2m/command.hpp"

#include <gtest/gtest.h>

namespace trellis::lwm2m {
namespace {

using nlohmann::json;
using objects::ResourceType;

// A small object model: 3/0/x Device, 3303 Temperature, 3311 Light Control.
std::optional<ResourceType> model(const Path& p) {
  if (!p.resource) return std::nullopt;
  const uint16_t o = p.object;
  const uint16_t r = *p.resource;
  if (o == 3 && (r == 0 || r == 1 || r == 14)) return ResourceType::string;
  if (o == 3 && r == 13) return ResourceType::time;
  if (o == 3 && r == 4) return ResourceType::none;
  if (o == 3303 && r == 5700) return ResourceType::float_;
  if (o == 3311 && r == 5851) return ResourceType::integer;
  if (o == 3311 && r == 5850) return ResourceType::boolean;
  if (o == 5 && r == 0) return ResourceType::opaque;
  return std::nullopt;
}
const TypeLookup kLookup = model;

Command parse(std::string_view text) {
  auto j = parse_command_json(text);
  EXPECT_TRUE(j) << j.error().message;
  auto cmd = parse_command(*j, kLookup);
  EXPECT_TRUE(cmd) << cmd.error().message;
  return cmd ? *cmd : Command{};
}

Error parse_error(std::string_view text) {
  auto j = parse_command_json(text);
  if (!j) return j.error();
  auto cmd = parse_command(*j, kLookup);
  EXPECT_FALSE(cmd);
  return cmd ? Error{} : cmd.error();
}

CoapRequest request(std::string_view text, ClientProfile client = {}) {
  auto req = to_coap_request(parse(text), client, kLookup);
  EXPECT_TRUE(req) << req.error().message;
  return req ? *req : CoapRequest{};
}

ClientProfile v11() {
  ClientProfile c;
  c.version = "1.1";
  return c;
}

using Segments = std::vector<std::string>;

TEST(CommandJson, NotJsonIsBadJson) {
  EXPECT_EQ(parse_command_json("{nope").error().code, "bad_json");
  EXPECT_EQ(parse_command_json("[1]").error().code, "bad_json");
}

TEST(Command, ReadKeepsRequestAndPath) {
  auto cmd = parse(R"({"reqID": 1, "msgType": "read", "data": {"path": "/3/0/1"}, "imei": "x"})");
  EXPECT_EQ(cmd.op, Operation::read);
  EXPECT_EQ(cmd.req_path, "/3/0/1");
  EXPECT_EQ(cmd.path.to_string(), "/3/0/1");
  EXPECT_EQ(cmd.request["imei"], "x");
}

TEST(Command, PathWithoutLeadingSlashIsAccepted) {
  EXPECT_EQ(parse(R"({"msgType": "read", "data": {"path": "3/0"}})").path.to_string(), "/3/0");
}

TEST(Command, MissingMsgTypeIsBadCommand) {
  auto e = parse_error(R"({"reqID": 1, "data": {"path": "/3/0/1"}})");
  EXPECT_EQ(e.code, "bad_command");
  EXPECT_NE(e.message.find("msgType"), std::string::npos);
}

TEST(Command, UnknownMsgTypeIsNamed) {
  auto e = parse_error(R"({"msgType": "reboot", "data": {"path": "/3/0/4"}})");
  EXPECT_EQ(e.code, "unknown_msg_type");
  EXPECT_NE(e.message.find("reboot"), std::string::npos);
}

TEST(Command, MissingDataIsBadCommand) {
  EXPECT_EQ(parse_error(R"({"msgType": "read"})").code, "bad_command");
}

TEST(Command, MissingPathNamesTheField) {
  auto e = parse_error(R"({"msgType": "read", "data": {}})");
  EXPECT_EQ(e.code, "bad_command");
  EXPECT_EQ(e.message, "data.path: missing");
}

TEST(Command, BadPathIsRefused) {
  EXPECT_EQ(parse_error(R"({"msgType": "read", "data": {"path": "/3/x"}})").code, "bad_path");
  EXPECT_EQ(parse_error(R"({"msgType": "read", "data": {"path": "/70000"}})").code, "bad_path");
  EXPECT_EQ(parse_error(R"({"msgType": "read", "data": {"path": 3}})").code, "bad_path");
}

TEST(Command, WriteWithoutValueIsBadValue) {
  EXPECT_EQ(parse_error(R"({"msgType": "write", "data": {"path": "/3/0/14"}})").code, "bad_value");
}

TEST(Command, WriteToInstanceWithoutBasePathIsBadPath) {
  EXPECT_EQ(parse_error(R"({"msgType": "write", "data": {"path": "/3/0", "value": 1}})").code,
            "bad_path");
}

TEST(Command, UnknownTypeIsRefused) {
  auto e = parse_error(
      R"({"msgType": "write", "data": {"path": "/3/0/14", "type": "Text", "value": "x"}})");
  EXPECT_EQ(e.code, "unknown_type");
}

TEST(Command, UnknownObjectWithoutTypeIsNoDefinition) {
  auto e = parse_error(R"({"msgType": "write", "data": {"path": "/9999/0/1", "value": 1}})");
  EXPECT_EQ(e.code, "no_definition");
  EXPECT_NE(e.message.find("/9999/0/1"), std::string::npos);
}

TEST(Command, UnknownObjectWithTypeIsAccepted) {
  auto cmd = parse(
      R"({"msgType": "write", "data": {"path": "/9999/0/1", "type": "Integer", "value": 7}})");
  ASSERT_EQ(cmd.records.size(), 1u);
  EXPECT_EQ(cmd.records[0].value, Value{int64_t{7}});
}

TEST(Command, TypeAgainstTheModelIsAMismatch) {
  auto e = parse_error(
      R"({"msgType": "write", "data": {"path": "/3311/0/5851", "type": "String", "value": "x"}})");
  EXPECT_EQ(e.code, "type_mismatch");
}

TEST(Command, ValueThatDoesNotFitTheTypeIsBadValue) {
  EXPECT_EQ(
      parse_error(R"({"msgType": "write", "data": {"path": "/3311/0/5851", "value": "x"}})").code,
      "bad_value");
  EXPECT_EQ(
      parse_error(R"({"msgType": "write", "data": {"path": "/3311/0/5850", "value": 7}})").code,
      "bad_value");
  EXPECT_EQ(parse_error(R"({"msgType": "write", "data": {"path": "/5/0/0", "value": "!!"}})").code,
            "bad_value");
}

TEST(Command, AWholeNumberPastInt64IsBadValueNotWrapped) {
  // Converted unchecked, 1e19 is undefined behaviour (INT64_MIN on x86).
  for (const char* v : {"1e19", "-1e19", "9.3e18", "1e300"}) {
    EXPECT_EQ(
        parse_error(std::string(R"({"msgType": "write", "data": {"path": "/3/0/13", "value": )") +
                    v + "}}")
            .code,
        "bad_value")
        << v;
  }
  auto ok = parse(R"({"msgType": "write", "data": {"path": "/3311/0/5851", "value": 4e18}})");
  ASSERT_EQ(ok.records.size(), 1u);
  EXPECT_EQ(ok.records[0].value, Value{int64_t{4000000000000000000}});
}

TEST(CommandJson, NestingPastTheLimitIsBadJson) {
  // Copied into the reply, a deep command would overflow the stack.
  const std::string deep =
      R"({"msgType": "read", "data": )" + std::string(100000, '[') + std::string(100000, ']') + "}";
  auto e = parse_command_json(deep);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, "bad_json");
  EXPECT_NE(e.error().message.find("deeper than"), std::string::npos);
}

TEST(Command, ValuesAreTypedByTheModel) {
  auto cmd = parse(R"({"msgType": "write", "data": {"basePath": "/3311/0", "content": [
      {"path": "5850", "value": "true"},
      {"path": "5851", "value": "42"},
      {"path": "/3311/0/5750", "type": "String", "value": "lamp"}]}})");
  ASSERT_EQ(cmd.records.size(), 3u);
  EXPECT_EQ(cmd.records[0].path.to_string(), "/3311/0/5850");
  EXPECT_EQ(cmd.records[0].value, Value{true});
  EXPECT_EQ(cmd.records[1].value, Value{int64_t{42}});
  EXPECT_EQ(cmd.records[2].path.to_string(), "/3311/0/5750");
  EXPECT_EQ(cmd.records[2].value, Value{std::string("lamp")});
}

TEST(Command, OpaqueBase64AndHex) {
  auto b64 = parse(R"({"msgType": "write", "data": {"path": "/5/0/0", "value": "AQI="}})");
  EXPECT_EQ(b64.records[0].value, Value(Bytes{1, 2}));
  auto hex = parse(
      R"({"msgType": "write", "data": {"path": "/5/0/0", "value": "0a0B", "encoding": "hex"}})");
  EXPECT_EQ(hex.records[0].value, Value(Bytes{0x0a, 0x0b}));
}

TEST(Command, ObjlnkAndTime) {
  auto cmd = parse(R"({"msgType": "write", "data": {"basePath": "/9/0", "content": [
      {"path": "1", "type": "Objlnk", "value": "3:0"},
      {"path": "2", "type": "Time", "value": 1700000000}]}})");
  EXPECT_EQ(cmd.records[0].value, Value(ObjLnk{3, 0}));
  EXPECT_EQ(cmd.records[1].value, Value{Time{1700000000}});
}

TEST(Command, BatchWriteNeedsContent) {
  EXPECT_EQ(parse_error(R"({"msgType": "write", "data": {"basePath": "/3/0"}})").code,
            "bad_command");
}

TEST(Command, ExecuteNeedsAResource) {
  EXPECT_EQ(parse_error(R"({"msgType": "execute", "data": {"path": "/3/0"}})").code, "bad_path");
}

TEST(Command, CreateNeedsAnObject) {
  EXPECT_EQ(parse_error(R"({"msgType": "create", "data": {"basePath": "/3303/0"}})").code,
            "bad_path");
}

TEST(Command, CreateMixingInstancesIsRefused) {
  auto e = parse_error(R"({"msgType": "create", "data": {"basePath": "/3303", "content": [
      {"path": "5700", "value": 1.5}, {"path": "1/5700", "value": 2.5}]}})");
  EXPECT_EQ(e.code, "bad_path");
}

TEST(Command, WriteAttrNeedsAnAttribute) {
  EXPECT_EQ(parse_error(R"({"msgType": "write-attr", "data": {"path": "/3/0/9"}})").code,
            "bad_command");
  EXPECT_EQ(
      parse_error(R"({"msgType": "write-attr", "data": {"path": "/3/0/9", "pmin": "soon"}})").code,
      "bad_value");
}

TEST(Command, DeleteNeedsAnInstance) {
  EXPECT_EQ(parse_error(R"({"msgType": "delete", "data": {"path": "/3303"}})").code, "bad_path");
}

TEST(PreferredFormat, ByVersionWithoutCt) {
  EXPECT_EQ(preferred_format(ClientProfile{}), ContentFormat::tlv);
  EXPECT_EQ(preferred_format(v11()), ContentFormat::senml_cbor);
}

TEST(PreferredFormat, CtListWins) {
  ClientProfile c = v11();
  c.content_formats = {11543, 110};
  EXPECT_EQ(preferred_format(c), ContentFormat::senml_json);
  c.content_formats = {11543};
  EXPECT_EQ(preferred_format(c), ContentFormat::lwm2m_json);
  c.content_formats = {1542};  // pre-release TLV number
  EXPECT_EQ(preferred_format(c), ContentFormat::tlv);
  c.content_formats = {0, 40};  // nothing usable: fall back on the version
  EXPECT_EQ(preferred_format(c), ContentFormat::senml_cbor);
}

TEST(CoapRequest, ReadIsGetWithAccept) {
  auto r = request(R"({"msgType": "read", "data": {"path": "/3/0/1"}})");
  EXPECT_EQ(r.method, Method::get);
  EXPECT_EQ(r.uri_path, (Segments{"3", "0", "1"}));
  EXPECT_EQ(r.accept, 11542);  // TLV for LwM2M 1.0
  EXPECT_FALSE(r.content_format);
  EXPECT_FALSE(r.observe);
  EXPECT_TRUE(r.payload.empty());
  EXPECT_EQ(request(R"({"msgType": "read", "data": {"path": "/3"}})", v11()).accept, 112);
}

TEST(CoapRequest, AlternatePathPrefixesTheUri) {
  ClientProfile c;
  c.alternate_path = "/lwm2m";
  auto r = request(R"({"msgType": "read", "data": {"path": "/3/0"}})", c);
  EXPECT_EQ(r.uri_path, (Segments{"lwm2m", "3", "0"}));
}

TEST(CoapRequest, QueryInPathBecomesUriQuery) {
  auto r = request(R"({"msgType": "read", "data": {"path": "/3/0/1?a=b&c"}})");
  EXPECT_EQ(r.uri_path, (Segments{"3", "0", "1"}));
  EXPECT_EQ(r.uri_query, (Segments{"a=b", "c"}));
}

TEST(CoapRequest, ObserveAndCancel) {
  auto o = request(R"({"msgType": "observe", "data": {"path": "/3303/0/5700"}})");
  EXPECT_EQ(o.method, Method::get);
  EXPECT_EQ(o.observe, 0u);  // RFC 7641, 2: register
  EXPECT_EQ(o.accept, 11542);
  auto c = request(R"({"msgType": "cancel-observe", "data": {"path": "/3303/0/5700"}})");
  EXPECT_EQ(c.observe, 1u);  // deregister
}

TEST(CoapRequest, DiscoverAcceptsLinkFormat) {
  auto r = request(R"({"msgType": "discover", "data": {"path": "/3/0"}})", v11());
  EXPECT_EQ(r.method, Method::get);
  EXPECT_EQ(r.accept, 40);
}

TEST(CoapRequest, SingleWriteIsPutWithTlv) {
  auto r = request(R"({"msgType": "write", "data": {"path": "/3311/0/5851", "value": 50}})");
  EXPECT_EQ(r.method, Method::put);
  EXPECT_EQ(r.content_format, 11542);
  EXPECT_EQ(r.payload, std::string("\xE1"      // resource with value, 16-bit id, 3-bit length 1
                                   "\x16\xDB"  // id 5851
                                   "\x32",     // 50
                                   4));
}

TEST(CoapRequest, SingleWriteInSenmlCborDecodesBack) {
  auto r = request(R"({"msgType": "write", "data": {"path": "/3311/0/5851", "value": 50}})", v11());
  EXPECT_EQ(r.content_format, 112);
  auto recs = decode(ContentFormat::senml_cbor, r.payload, *parse_path("/3311/0/5851"), kLookup);
  ASSERT_TRUE(recs) << recs.error().message;
  ASSERT_EQ(recs->size(), 1u);
  EXPECT_EQ((*recs)[0].value, Value{int64_t{50}});
}

TEST(CoapRequest, InstanceWriteIsPartialUpdateUnlessReplace) {
  const char* base = R"({"msgType": "write", "data": {"basePath": "/3311/0", %s"content": [
      {"path": "5850", "value": true}, {"path": "5851", "value": 10}]}})";
  char buf[512];
  std::snprintf(buf, sizeof buf, base, "");
  auto update = request(buf);
  EXPECT_EQ(update.method, Method::post);
  EXPECT_EQ(update.uri_path, (Segments{"3311", "0"}));
  EXPECT_EQ(update.payload, std::string("\xE1\x16\xDA\x01"   // 5850 = true
                                        "\xE1\x16\xDB\x0A",  // 5851 = 10
                                        8));
  std::snprintf(buf, sizeof buf, base, R"("mode": "replace", )");
  EXPECT_EQ(request(buf).method, Method::put);
}

TEST(CoapRequest, WriteAttrIsPutWithQuery) {
  auto r = request(
      R"({"msgType": "write-attr", "data": {"path": "/3303/0/5700", "pmin": 10, "pmax": "60", "gt": 25.5, "st": null}})");
  EXPECT_EQ(r.method, Method::put);
  EXPECT_EQ(r.uri_query, (Segments{"pmin=10", "pmax=60", "gt=25.5"}));
  EXPECT_TRUE(r.payload.empty());
  EXPECT_FALSE(r.content_format);
}

TEST(CoapRequest, ExecuteIsPostWithArguments) {
  auto r = request(R"({"msgType": "execute", "data": {"path": "/3/0/4", "args": "0='a',1"}})");
  EXPECT_EQ(r.method, Method::post);
  EXPECT_EQ(r.payload, "0='a',1");
  EXPECT_EQ(r.content_format, 0);
  auto bare = request(R"({"msgType": "execute", "data": {"path": "/3/0/4"}})");
  EXPECT_TRUE(bare.payload.empty());
  EXPECT_FALSE(bare.content_format);
}

TEST(CoapRequest, CreateWithInstanceWrapsItInTlv) {
  auto r = request(R"({"msgType": "create", "data": {"basePath": "/3303", "content": [
      {"path": "1/5700", "value": 21.5}]}})");
  EXPECT_EQ(r.method, Method::post);
  EXPECT_EQ(r.uri_path, Segments{"3303"});
  EXPECT_EQ(r.content_format, 11542);
  EXPECT_EQ(r.payload, std::string("\x07\x01"           // object instance 1, length 7
                                   "\xE4\x16\x44"       // resource 5700, length 4
                                   "\x41\xAC\x00\x00",  // 21.5 as a 32-bit float
                                   9));
}

TEST(CoapRequest, CreateWithoutInstanceSendsResourceTlvs) {
  auto r = request(R"({"msgType": "create", "data": {"basePath": "/3303", "content": [
      {"path": "5700", "value": 21.5}]}})",
                   v11());
  EXPECT_EQ(r.content_format, 11542);  // only TLV can leave the id to the client
  EXPECT_EQ(r.payload, std::string("\xE4\x16\x44\x41\xAC\x00\x00", 7));
}

TEST(CoapRequest, CreateWithoutInstanceNeedsTlvSupport) {
  ClientProfile c = v11();
  c.content_formats = {110};
  auto cmd = parse(R"({"msgType": "create", "data": {"basePath": "/3303", "content": [
      {"path": "5700", "value": 21.5}]}})");
  auto r = to_coap_request(cmd, c, kLookup);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "create_needs_tlv");
}

TEST(CoapRequest, EmptyCreateHasNoPayload) {
  auto r = request(R"({"msgType": "create", "data": {"basePath": "/3303"}})");
  EXPECT_EQ(r.method, Method::post);
  EXPECT_TRUE(r.payload.empty());
  EXPECT_FALSE(r.content_format);
}

TEST(CoapRequest, DeleteIsDelete) {
  auto r = request(R"({"msgType": "delete", "data": {"path": "/3303/1"}})");
  EXPECT_EQ(r.method, Method::remove);
  EXPECT_EQ(r.uri_path, (Segments{"3303", "1"}));
}

}  // namespace
}  // namespace trellis::lwm2m
