#include "webapi/router.hpp"

#include <gtest/gtest.h>

namespace trellis::webapi {
namespace {

Router table() {
  Router r;
  auto none = [](const Request&, const Reply&) {};
  r.add({.method = "GET", .pattern = "/api/v1/devices", .summary = "", .handler = none});
  r.add({.method = "POST", .pattern = "/api/v1/devices", .summary = "", .handler = none});
  r.add({.method = "GET", .pattern = "/api/v1/devices/{id}", .summary = "", .handler = none});
  r.add({.method = "GET",
         .pattern = "/api/v1/devices/{id}/telemetry/latest",
         .summary = "",
         .handler = none});
  r.add({.method = "GET",
         .pattern = "/api/v1/devices/{id}/commands/{uid}",
         .summary = "",
         .handler = none});
  return r;
}

TEST(Router, MatchesLiteralRoute) {
  auto r = table();
  auto m = r.match("POST", "/api/v1/devices");
  ASSERT_EQ(m.kind, RouteMatch::Kind::found);
  EXPECT_EQ(m.route->method, "POST");
}

TEST(Router, TrailingSlashNamesTheSameResource) {
  EXPECT_EQ(table().match("GET", "/api/v1/devices/").kind, RouteMatch::Kind::found);
}

TEST(Router, ExtractsAndDecodesParameters) {
  auto r = table();
  auto m = r.match("GET", "/api/v1/devices/boiler%2F1/commands/c%201");
  ASSERT_EQ(m.kind, RouteMatch::Kind::found);
  EXPECT_EQ(m.params.at("id"), "boiler/1");
  EXPECT_EQ(m.params.at("uid"), "c 1");
}

TEST(Router, UnknownPathIsNotFound) {
  EXPECT_EQ(table().match("GET", "/api/v1/nothing").kind, RouteMatch::Kind::not_found);
  EXPECT_EQ(table().match("GET", "/api/v1/devices/x/telemetry/oldest").kind,
            RouteMatch::Kind::not_found);
}

TEST(Router, EmptyParameterDoesNotMatch) {
  EXPECT_EQ(table().match("GET", "/api/v1/devices//telemetry/latest").kind,
            RouteMatch::Kind::not_found);
}

TEST(Router, WrongMethodListsAllowedMethods) {
  auto m = table().match("DELETE", "/api/v1/devices");
  ASSERT_EQ(m.kind, RouteMatch::Kind::wrong_method);
  EXPECT_EQ(m.allowed, (std::vector<std::string>{"GET", "POST", "HEAD"}));
}

TEST(Router, BadPercentEncodingIsNamedNotUnmatched) {
  auto m = table().match("GET", "/api/v1/devices/%zz");
  ASSERT_EQ(m.kind, RouteMatch::Kind::bad_path);
  EXPECT_EQ(m.bad_segment, "%zz");
  EXPECT_EQ(table().match("GET", "/api/v1/devices/a%2Fb").kind, RouteMatch::Kind::found);
}

TEST(Router, HeadIsServedByGet) {
  EXPECT_EQ(table().match("HEAD", "/api/v1/devices/x").kind, RouteMatch::Kind::found);
}

}  // namespace
}  // namespace trellis::webapi
