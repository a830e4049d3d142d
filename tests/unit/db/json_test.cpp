// JSON shapes of registry objects (DESIGN.md, REST API).
#include "db/json.hpp"

#include <gtest/gtest.h>

namespace trellis::db {
namespace {

using nlohmann::json;

// The device example of DESIGN.md, byte for byte.
const char* design_device =
    R"({"id": "boiler-1", "name": "Boiler 1", "type": "boiler", "attributes": {"site": "north"},
"credentials": {"mqtt": {"username": "boiler-1", "password": "..."},
"lwm2m": {"endpoint": "urn:dev:boiler-1", "psk_identity": "boiler-1", "psk_key": "0a0b"}}})";

TEST(DeviceJson, ParsesTheDesignExample) {
  auto d = parse_new_device(json::parse(design_device));
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->id, "boiler-1");
  EXPECT_EQ(d->name, "Boiler 1");
  EXPECT_EQ(d->type, "boiler");
  EXPECT_EQ(d->attributes, json({{"site", "north"}}));
  EXPECT_EQ(d->credentials.mqtt_username, "boiler-1");
  EXPECT_EQ(d->credentials.mqtt_password, "...");
  EXPECT_EQ(d->credentials.lwm2m_endpoint, "urn:dev:boiler-1");
  EXPECT_EQ(d->credentials.psk_identity, "boiler-1");
  EXPECT_EQ(d->credentials.psk_key_hex, "0a0b");
}

TEST(DeviceJson, RenderingCarriesNoSecret) {
  Device d;
  d.id = "boiler-1";
  d.mqtt_username = "boiler-1";
  d.has_password = true;
  d.psk_identity = "boiler-1";
  d.has_psk = true;
  auto j = to_json(d);
  EXPECT_EQ(j["credentials"]["mqtt"], json({{"username", "boiler-1"}, {"has_password", true}}));
  EXPECT_EQ(j["credentials"]["lwm2m"],
            json({{"endpoint", nullptr}, {"psk_identity", "boiler-1"}, {"has_psk_key", true}}));
  EXPECT_FALSE(j["credentials"]["mqtt"].contains("password"));
  EXPECT_FALSE(j["credentials"]["lwm2m"].contains("psk_key"));
}

TEST(DeviceJson, WhatWasReadCanBeSentBack) {
  Device d;
  d.id = "x";
  auto again = parse_new_device(to_json(d));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->id, "x");
}

TEST(DeviceJson, MissingIdIsInvalid) {
  EXPECT_EQ(parse_new_device(json{{"name", "x"}}).error().code, "invalid_argument");
}

TEST(DeviceJson, UnknownMemberIsNamed) {
  auto r = parse_new_device(json{{"id", "x"}, {"colour", "red"}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("'colour'"), std::string::npos);
}

TEST(DeviceJson, WrongTypesAreNamed) {
  auto r = parse_new_device(json{{"id", 5}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("device.id"), std::string::npos);
  auto a = parse_new_device(json{{"id", "x"}, {"attributes", json::array()}});
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().message.find("attributes"), std::string::npos);
  auto c = parse_new_device(json{{"id", "x"}, {"credentials", {{"mqtt", {{"password", 1}}}}}});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("credentials.mqtt.password"), std::string::npos);
}

TEST(DevicePatchJson, MissingLeavesNullClearsValueSets) {
  auto p = parse_device_patch(json::parse(
      R"({"name": "N", "credentials": {"mqtt": {"password": "p"}, "lwm2m": {"psk_identity": null}}})"));
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->name, "N");
  EXPECT_FALSE(p->type);
  EXPECT_FALSE(p->attributes);
  EXPECT_FALSE(p->mqtt_username);  // missing: leave alone
  ASSERT_TRUE(p->mqtt_password);
  EXPECT_EQ(**p->mqtt_password, "p");
  ASSERT_TRUE(p->psk_identity);  // null: clear
  EXPECT_FALSE(*p->psk_identity);
  EXPECT_FALSE(p->lwm2m_endpoint);
}

TEST(DevicePatchJson, NullCredentialsClearEverything) {
  auto p = parse_device_patch(json::parse(R"({"credentials": null})"));
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->mqtt_username && !*p->mqtt_username);
  EXPECT_TRUE(p->lwm2m_endpoint && !*p->lwm2m_endpoint);
  EXPECT_TRUE(p->psk_identity && !*p->psk_identity);
}

TEST(DevicePatchJson, NullPskKeyIsInvalid) {
  auto p = parse_device_patch(json::parse(R"({"credentials": {"lwm2m": {"psk_key": null}}})"));
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, "invalid_argument");
}

TEST(ApplicationJson, ParseAndRender) {
  auto a = parse_new_application(json::parse(
      R"({"name": "dash", "username": "d", "password": "p", "acl": {"publish": ["a/#"]}})"));
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->username, "d");
  EXPECT_EQ(a->acl->publish, std::vector<std::string>{"a/#"});
  Application app{.name = "dash", .username = "d", .has_password = true};
  auto j = to_json(app);
  EXPECT_EQ(j["has_password"], true);
  EXPECT_FALSE(j.contains("password"));
  auto bad = parse_new_application(json::parse(R"({"name": "x", "acl": {"publish": ["a/#/b"]}})"));
  EXPECT_FALSE(bad);
}

TEST(CommandJson, UidIsTheId) {
  Command c;
  c.uid = "c1";
  c.device_id = "d";
  c.state = CommandState::timed_out;
  auto j = to_json(c);
  EXPECT_EQ(j["id"], "c1");
  EXPECT_EQ(j["state"], "timed_out");
}

TEST(PointJson, ValuesKeepTheirType) {
  EXPECT_EQ(to_json(Point{"d", "t", 5, 1.5}), json({{"key", "t"}, {"ts", 5}, {"value", 1.5}}));
  EXPECT_EQ(to_json(Point{"d", "s", 5, std::string("x")})["value"], "x");
  EXPECT_EQ(to_json(Point{"d", "b", 5, true})["value"], true);
  EXPECT_EQ(to_json(Bucket{0, 2, 3, 1, 2})["avg"], 1.5);
}

}  // namespace
}  // namespace trellis::db
