#include "objects/operations.hpp"

#include <gtest/gtest.h>

namespace trellis::objects {
namespace {

TEST(Operations, ParsesSchemaValues) {
  // LWM2M-v1_1.xsd, Item/Operations enumeration.
  EXPECT_EQ(parse_operations("R"), kRead);
  EXPECT_EQ(parse_operations("W"), kWrite);
  EXPECT_EQ(parse_operations("RW"), kReadWrite);
  EXPECT_EQ(parse_operations("E"), kExecute);
  EXPECT_EQ(parse_operations(""), kNoOperations);
}

TEST(Operations, EmptyMeansNoAccess) {
  const auto ops = parse_operations("");
  ASSERT_TRUE(ops);
  EXPECT_TRUE(ops->none());
  EXPECT_FALSE(ops->read);
  EXPECT_FALSE(ops->write);
  EXPECT_FALSE(ops->execute);
}

TEST(Operations, RejectsValuesOutsideTheSchema) {
  EXPECT_EQ(parse_operations("WR"), std::nullopt);
  EXPECT_EQ(parse_operations("RWE"), std::nullopt);
  EXPECT_EQ(parse_operations("r"), std::nullopt);
  EXPECT_EQ(parse_operations("X"), std::nullopt);
}

TEST(Operations, NameRoundTrips) {
  for (auto ops : {kNoOperations, kRead, kWrite, kReadWrite, kExecute}) {
    EXPECT_EQ(parse_operations(operations_name(ops)), ops) << operations_name(ops);
  }
  EXPECT_EQ(operations_name(Operations{.read = true, .execute = true}), "RE");
}

}  // namespace
}  // namespace trellis::objects
