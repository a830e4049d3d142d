// Register / Update parameters and object lists (LwM2M 1.1 Core 6.2.1,
// Transport 6.2.1 Table 6.2.1-1; RFC 6690 for the payload).
#include "adapters/lwm2m/registration.hpp"

#include <gtest/gtest.h>

namespace trellis::lwm2m {
namespace {

Path p(std::string_view text) {
  return *parse_path(text);
}

TEST(RegisterQuery, ParsesEveryParameter) {
  auto q = parse_register_query({
      "ep=urn:dev:boiler-1",  // Endpoint Client Name
      "lt=300",               // Lifetime, seconds
      "lwm2m=1.1",            // LwM2M version
      "b=U",                  // Binding mode
      "sms=+441234",          // MSISDN
      "Q",                    // Queue mode (1.1: a parameter of its own)
      "apn=internet",         // not interpreted, kept
  });
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q->endpoint, "urn:dev:boiler-1");
  EXPECT_EQ(q->lifetime, 300);
  EXPECT_EQ(q->version, "1.1");
  EXPECT_EQ(q->binding, "U");
  EXPECT_EQ(q->sms, "+441234");
  EXPECT_TRUE(q->queue_mode);
  ASSERT_EQ(q->extra.size(), 1u);
  EXPECT_EQ(q->extra[0].first, "apn");
  EXPECT_EQ(q->extra[0].second, "internet");
}

TEST(RegisterQuery, QueueModeFromLwm2m10Binding) {
  auto q = parse_register_query({"ep=a", "lwm2m=1.0", "b=UQ"});
  ASSERT_TRUE(q);
  EXPECT_TRUE(q->queue_mode);
}

TEST(RegisterQuery, OnlyEpIsRequired) {
  auto q = parse_register_query({"ep=a"});
  ASSERT_TRUE(q);
  EXPECT_FALSE(q->lifetime);
  EXPECT_FALSE(q->version);
  EXPECT_FALSE(q->queue_mode);
}

TEST(RegisterQuery, MissingEndpointIsRefused) {
  auto q = parse_register_query({"lt=60"});
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code, "missing_endpoint");
}

TEST(RegisterQuery, EmptyEndpointIsRefused) {
  EXPECT_EQ(parse_register_query({"ep="}).error().code, "missing_endpoint");
}

TEST(RegisterQuery, EndpointThatBreaksTopicsIsRefused) {
  EXPECT_EQ(parse_register_query({"ep=a/b"}).error().code, "bad_endpoint");
  EXPECT_EQ(parse_register_query({"ep=a+"}).error().code, "bad_endpoint");
  EXPECT_EQ(parse_register_query({"ep=#"}).error().code, "bad_endpoint");
  EXPECT_EQ(parse_register_query({std::string("ep=a\x01")}).error().code, "bad_endpoint");
  EXPECT_EQ(parse_register_query({std::string("ep=\xff\xfe")}).error().code, "bad_endpoint");
}

TEST(RegisterQuery, LifetimeMustBeANonNegativeInteger) {
  EXPECT_EQ(parse_register_query({"ep=a", "lt=abc"}).error().code, "bad_lifetime");
  EXPECT_EQ(parse_register_query({"ep=a", "lt=-5"}).error().code, "bad_lifetime");
  EXPECT_EQ(parse_register_query({"ep=a", "lt=1.5"}).error().code, "bad_lifetime");
  EXPECT_TRUE(parse_register_query({"ep=a", "lt=0"}));
}

TEST(RegisterQuery, UnsupportedVersionIsRefused) {
  EXPECT_EQ(parse_register_query({"ep=a", "lwm2m=2.0"}).error().code, "unsupported_version");
  EXPECT_EQ(parse_register_query({"ep=a", "lwm2m=1.0.2"}).error().code, "unsupported_version");
}

TEST(RegisterQuery, BindingLettersAreChecked) {
  EXPECT_EQ(parse_register_query({"ep=a", "b=X"}).error().code, "bad_binding");
  EXPECT_EQ(parse_register_query({"ep=a", "b=UU"}).error().code, "bad_binding");
  EXPECT_EQ(parse_register_query({"ep=a", "b="}).error().code, "bad_binding");
  EXPECT_TRUE(parse_register_query({"ep=a", "b=UQS"}));
}

TEST(RegisterQuery, DuplicateParameterIsRefused) {
  EXPECT_EQ(parse_register_query({"ep=a", "ep=b"}).error().code, "duplicate_parameter");
}

TEST(RegisterQuery, QTakesNoValue) {
  EXPECT_EQ(parse_register_query({"ep=a", "Q=1"}).error().code, "bad_parameter");
}

TEST(UpdateQuery, MayNotChangeEndpointOrVersion) {
  EXPECT_EQ(parse_update_query({"ep=a"}).error().code, "parameter_not_allowed");
  EXPECT_EQ(parse_update_query({"lwm2m=1.1"}).error().code, "parameter_not_allowed");
}

TEST(UpdateQuery, EmptyUpdateIsValid) {
  auto q = parse_update_query({});
  ASSERT_TRUE(q);
  EXPECT_FALSE(q->lifetime);
}

TEST(ObjectList, ParsesObjectsInstancesVersionsAndRootFormats) {
  auto list = parse_object_list(
      "</>;rt=\"oma.lwm2m\";ct=\"60 110 112 11543\","  // root link, formats (Core 6.2.1.1)
      "</1/0>,"                                        // Server instance 0
      "</3>;ver=1.1,"                                  // Device object, version 1.1
      "</3/0>,"                                        // Device instance 0
      "</3303>");                                      // supported, no instance yet
  ASSERT_TRUE(list) << list.error().message;
  EXPECT_EQ(list->alternate_path, "/");
  EXPECT_EQ(list->content_formats, (std::vector<uint16_t>{60, 110, 112, 11543}));
  ASSERT_EQ(list->links.size(), 4u);
  EXPECT_EQ(list->links[0], (ObjectLink{p("/1/0"), std::nullopt}));
  EXPECT_EQ(list->links[1], (ObjectLink{p("/3"), "1.1"}));
  EXPECT_EQ(list->links[2], (ObjectLink{p("/3/0"), std::nullopt}));
  EXPECT_EQ(list->links[3], (ObjectLink{p("/3303"), std::nullopt}));
  EXPECT_EQ(list->paths(), (std::vector<std::string>{"/1/0", "/3", "/3/0", "/3303"}));
  EXPECT_TRUE(list->has_object(3303));
  EXPECT_FALSE(list->has_object(3304));
}

TEST(ObjectList, AlternatePathIsStrippedFromObjectLinks) {
  auto list = parse_object_list("</lwm2m/1/0>,</lwm2m>;rt=\"oma.lwm2m\",</lwm2m/3/0>");
  ASSERT_TRUE(list) << list.error().message;
  EXPECT_EQ(list->alternate_path, "/lwm2m");
  EXPECT_EQ(list->paths(), (std::vector<std::string>{"/1/0", "/3/0"}));
}

TEST(ObjectList, SingleCtWithoutQuotes) {
  auto list = parse_object_list("</>;ct=11543,</3/0>");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->content_formats, std::vector<uint16_t>{11543});
}

TEST(ObjectList, EmptyPayloadIsAnEmptyList) {
  auto list = parse_object_list("");
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->links.empty());
}

TEST(ObjectList, ResourceLevelLinkIsRefused) {
  EXPECT_EQ(parse_object_list("</3/0/1>").error().code, "bad_object_link");
}

TEST(ObjectList, NonNumericLinkIsRefused) {
  EXPECT_EQ(parse_object_list("</foo>").error().code, "bad_object_link");
}

TEST(ObjectList, LinkOutsideAlternatePathIsRefused) {
  EXPECT_EQ(parse_object_list("</a>;rt=\"oma.lwm2m\",</3/0>").error().code, "bad_object_link");
}

TEST(ObjectList, BrokenLinkFormatIsRefused) {
  EXPECT_EQ(parse_object_list("</3/0").error().code, "link_unterminated_uri");
  EXPECT_EQ(parse_object_list("3/0").error().code, "link_expected_uri");
}

TEST(ObjectList, BadCtIsRefused) {
  EXPECT_EQ(parse_object_list("</>;ct=abc").error().code, "bad_ct");
  EXPECT_EQ(parse_object_list("</>;ct=70000").error().code, "bad_ct");
}

}  // namespace
}  // namespace trellis::lwm2m
