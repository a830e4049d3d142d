#include "objects/resource_type.hpp"

#include <gtest/gtest.h>

namespace trellis::objects {
namespace {

TEST(ResourceType, ParsesEverySchemaSpelling) {
  // LWM2M-v1_1.xsd, Item/Type enumeration.
  EXPECT_EQ(parse_resource_type("String"), ResourceType::string);
  EXPECT_EQ(parse_resource_type("Integer"), ResourceType::integer);
  EXPECT_EQ(parse_resource_type("Unsigned Integer"), ResourceType::unsigned_integer);
  EXPECT_EQ(parse_resource_type("Float"), ResourceType::float_);
  EXPECT_EQ(parse_resource_type("Boolean"), ResourceType::boolean);
  EXPECT_EQ(parse_resource_type("Opaque"), ResourceType::opaque);
  EXPECT_EQ(parse_resource_type("Time"), ResourceType::time);
  EXPECT_EQ(parse_resource_type("Objlnk"), ResourceType::objlnk);
  EXPECT_EQ(parse_resource_type("Corelnk"), ResourceType::corelnk);
}

TEST(ResourceType, EmptyMeansNone) {
  EXPECT_EQ(parse_resource_type(""), ResourceType::none);
}

TEST(ResourceType, IgnoresCase) {
  EXPECT_EQ(parse_resource_type("CoreLnk"), ResourceType::corelnk);
  EXPECT_EQ(parse_resource_type("unsigned integer"), ResourceType::unsigned_integer);
  EXPECT_EQ(parse_resource_type("FLOAT"), ResourceType::float_);
}

TEST(ResourceType, RejectsUnknownSpelling) {
  EXPECT_EQ(parse_resource_type("Flaot"), std::nullopt);
  EXPECT_EQ(parse_resource_type("UnsignedInteger"), std::nullopt);
  EXPECT_EQ(parse_resource_type(" Float"), std::nullopt);
}

TEST(ResourceType, NameRoundTrips) {
  for (auto t :
       {ResourceType::none, ResourceType::string, ResourceType::integer,
        ResourceType::unsigned_integer, ResourceType::float_, ResourceType::boolean,
        ResourceType::opaque, ResourceType::time, ResourceType::objlnk, ResourceType::corelnk}) {
    EXPECT_EQ(parse_resource_type(resource_type_name(t)), t) << resource_type_name(t);
  }
  EXPECT_EQ(resource_type_name(ResourceType::none), "");
  EXPECT_EQ(resource_type_name(ResourceType::unsigned_integer), "Unsigned Integer");
}

}  // namespace
}  // namespace trellis::objects
