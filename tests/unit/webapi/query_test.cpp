#include "webapi/query.hpp"

#include <gtest/gtest.h>

namespace trellis::webapi {
namespace {

TEST(Query, DecodesNamesValuesAndPlus) {
  auto q = parse_query("keys=t%2Ch&from=1&note=a+b&empty=");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->at("keys"), "t,h");
  EXPECT_EQ(q->at("from"), "1");
  EXPECT_EQ(q->at("note"), "a b");
  EXPECT_EQ(q->at("empty"), "");
}

TEST(Query, TruncatedPercentEscapeIsRefused) {
  auto q = parse_query("a=%4");
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().code, "bad_request");
  EXPECT_NE(q.error().message.find("'a'"), std::string::npos);
}

TEST(Query, NonHexPercentEscapeIsRefused) {
  EXPECT_FALSE(parse_query("a=%zz").ok());
}

TEST(Query, SplitTarget) {
  auto [path, query] = split_target("/api/v1/devices?limit=2");
  EXPECT_EQ(path, "/api/v1/devices");
  EXPECT_EQ(query, "limit=2");
  EXPECT_EQ(split_target("/x").second, "");
}

TEST(Query, IntegerMustBeWholeNumber) {
  EXPECT_EQ(*parse_int("from", "-5"), -5);
  auto bad = parse_int("from", "12abc");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("'from'"), std::string::npos);
  EXPECT_FALSE(parse_int("from", "").ok());
}

TEST(Query, LimitIsCutToMaxAndMustBePositive) {
  EXPECT_EQ(*parse_limit("limit", "5000", 1000), 1000u);
  EXPECT_EQ(*parse_limit("limit", "7", 1000), 7u);
  EXPECT_FALSE(parse_limit("limit", "0", 1000).ok());
}

TEST(Query, IntervalUnits) {
  EXPECT_EQ(*parse_interval("interval", "1500"), 1500);
  EXPECT_EQ(*parse_interval("interval", "250ms"), 250);
  EXPECT_EQ(*parse_interval("interval", "30s"), 30'000);
  EXPECT_EQ(*parse_interval("interval", "5m"), 300'000);
  EXPECT_EQ(*parse_interval("interval", "1h"), 3'600'000);
  EXPECT_EQ(*parse_interval("interval", "1d"), 86'400'000);
}

TEST(Query, IntervalUnknownUnitIsRefused) {
  EXPECT_FALSE(parse_interval("interval", "5w").ok());
}
TEST(Query, IntervalZeroIsRefused) {
  EXPECT_FALSE(parse_interval("interval", "0").ok());
}
TEST(Query, IntervalWithoutNumberIsRefused) {
  EXPECT_FALSE(parse_interval("interval", "h").ok());
}
TEST(Query, IntervalOverflowIsRefused) {
  EXPECT_FALSE(parse_interval("interval", "99999999999999999d").ok());
}

TEST(Query, SplitListDropsEmptyItems) {
  EXPECT_EQ(split_list("a,,b,"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(split_list("").empty());
}

}  // namespace
TEST(PercentEncodeSegment, KeepsUnreservedAndEncodesTheRest) {
  EXPECT_EQ(percent_encode_segment("meter-1_a.b~"), "meter-1_a.b~");
  EXPECT_EQ(percent_encode_segment("a b/c?"), "a%20b%2Fc%3F");
  EXPECT_EQ(percent_encode_segment("\xc3\xa9"), "%C3%A9");
  EXPECT_EQ(percent_encode_segment(".."), "%2E%2E");
  EXPECT_EQ(percent_encode_segment("v1.2"), "v1.2");
  for (std::string_view s : {"a b/c?", "\xc3\xa9 %", ""}) {
    EXPECT_EQ(percent_decode(percent_encode_segment(s)).value(), s);
  }
}

}  // namespace trellis::webapi
