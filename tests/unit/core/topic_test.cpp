// Topic names and filters: MQTT 3.1.1 section 4.7 and its own examples.
#include "core/topic.hpp"

#include <gtest/gtest.h>

using namespace trellis;

namespace {
bool filter_ok(std::string_view f) {
  return topic::validate_filter(f).ok();
}
bool name_ok(std::string_view n) {
  return topic::validate_name(n).ok();
}
}  // namespace

// 4.7.1.2: "sport/tennis/player1/#" matches the player and everything below.
TEST(TopicMatch, MultiLevelWildcardSpecExamples) {
  EXPECT_TRUE(topic::matches("sport/tennis/player1/#", "sport/tennis/player1"));
  EXPECT_TRUE(topic::matches("sport/tennis/player1/#", "sport/tennis/player1/ranking"));
  EXPECT_TRUE(topic::matches("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon"));
  EXPECT_TRUE(topic::matches("sport/#", "sport"));  // parent level too
  EXPECT_TRUE(topic::matches("#", "sport/tennis"));
}

TEST(TopicValidate, MultiLevelWildcardSpecExamples) {
  EXPECT_TRUE(filter_ok("#"));
  EXPECT_TRUE(filter_ok("sport/tennis/#"));
  EXPECT_FALSE(filter_ok("sport/tennis#"));
  EXPECT_FALSE(filter_ok("sport/tennis/#/ranking"));
}

// 4.7.1.3: "+" matches exactly one level.
TEST(TopicMatch, SingleLevelWildcardSpecExamples) {
  EXPECT_TRUE(topic::matches("sport/tennis/+", "sport/tennis/player1"));
  EXPECT_TRUE(topic::matches("sport/tennis/+", "sport/tennis/player2"));
  EXPECT_FALSE(topic::matches("sport/tennis/+", "sport/tennis/player1/ranking"));
  EXPECT_FALSE(topic::matches("sport/+", "sport"));
  EXPECT_TRUE(topic::matches("sport/+", "sport/"));
  EXPECT_TRUE(topic::matches("+/+", "/finance"));
  EXPECT_TRUE(topic::matches("/+", "/finance"));
  EXPECT_FALSE(topic::matches("+", "/finance"));
}

TEST(TopicValidate, SingleLevelWildcardSpecExamples) {
  EXPECT_TRUE(filter_ok("+"));
  EXPECT_TRUE(filter_ok("+/tennis/#"));
  EXPECT_FALSE(filter_ok("sport+"));
  EXPECT_TRUE(filter_ok("sport/+/player1"));
}

// 4.7.2: a leading wildcard does not match topics starting with '$'.
TEST(TopicMatch, DollarTopicsSpecExamples) {
  EXPECT_FALSE(topic::matches("#", "$SYS/broker/uptime"));
  EXPECT_FALSE(topic::matches("+/monitor/Clients", "$SYS/monitor/Clients"));
  EXPECT_TRUE(topic::matches("$SYS/#", "$SYS/monitor/Clients"));
  EXPECT_TRUE(topic::matches("$SYS/monitor/+", "$SYS/monitor/Clients"));
  EXPECT_TRUE(topic::matches("#", "$SYS/x", /*system_rule=*/false));
}

// 4.7.3: levels are case sensitive, may be empty, and spaces are allowed.
TEST(TopicMatch, LevelsAreCaseSensitiveAndMayBeEmpty) {
  EXPECT_FALSE(topic::matches("ACCOUNTS", "Accounts"));
  EXPECT_TRUE(topic::matches("Accounts payable", "Accounts payable"));
  EXPECT_TRUE(topic::matches("a//b", "a//b"));
  EXPECT_TRUE(topic::matches("a/+/b", "a//b"));
  EXPECT_FALSE(topic::matches("/finance", "finance"));
}

TEST(TopicValidate, EmptyNameAndFilterAreRefused) {
  EXPECT_EQ(topic::validate_name("").error().code, "empty_topic");
  EXPECT_EQ(topic::validate_filter("").error().code, "empty_filter");
}

TEST(TopicValidate, WildcardInNameIsRefused) {
  EXPECT_EQ(topic::validate_name("a/+/b").error().code, "wildcard_in_topic");
  EXPECT_EQ(topic::validate_name("a/#").error().code, "wildcard_in_topic");
  EXPECT_TRUE(name_ok("a/b c/$d"));
}

TEST(TopicValidate, NullCharacterIsRefused) {
  EXPECT_EQ(topic::validate_name(std::string_view("a\0b", 3)).error().code, "bad_utf8");
  EXPECT_EQ(topic::validate_filter(std::string_view("a\0b", 3)).error().code, "bad_utf8");
}

TEST(TopicValidate, IllFormedUtf8IsRefused) {
  EXPECT_FALSE(name_ok("\xC3"));              // truncated 2-byte sequence
  EXPECT_FALSE(name_ok("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(name_ok("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(name_ok("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(name_ok("\xFF"));
  EXPECT_TRUE(name_ok("caf\xC3\xA9/\xF0\x9F\x8C\xA1"));  // é and a 4-byte emoji
}

TEST(TopicValidate, LengthLimitIs65535Bytes) {
  EXPECT_TRUE(name_ok(std::string(65535, 'a')));
  EXPECT_EQ(topic::validate_name(std::string(65536, 'a')).error().code, "topic_too_long");
  EXPECT_EQ(topic::validate_filter(std::string(65536, 'a')).error().code, "filter_too_long");
}

TEST(TopicValidate, LevelLimitIs200) {
  const auto levels = [](std::size_t n, const char* each) {
    std::string t = each;
    for (std::size_t i = 1; i < n; ++i) t += std::string("/") + each;
    return t;
  };
  EXPECT_TRUE(topic::validate_name(levels(200, "a")));
  EXPECT_EQ(topic::validate_name(levels(201, "a")).error().code, "too_many_levels");
  EXPECT_EQ(topic::validate_name(std::string(60000, '/')).error().code, "too_many_levels");
  EXPECT_TRUE(topic::validate_filter(levels(200, "+")));
  EXPECT_EQ(topic::validate_filter(levels(201, "+")).error().code, "too_many_levels");
  EXPECT_EQ(topic::validate_filter(std::string(199, '/') + "/#").error().code, "too_many_levels");
}

TEST(TopicCovers, PatternCoversNarrowerFilters) {
  EXPECT_TRUE(topic::covers("dev1/#", "dev1/#"));
  EXPECT_TRUE(topic::covers("dev1/#", "dev1"));
  EXPECT_TRUE(topic::covers("dev1/#", "dev1/+/x"));
  EXPECT_TRUE(topic::covers("#", "$SYS/#"));
  EXPECT_TRUE(topic::covers("a/+/c", "a/b/c"));
  EXPECT_TRUE(topic::covers("a/+/c", "a/+/c"));
  EXPECT_FALSE(topic::covers("dev1/#", "#"));
  EXPECT_FALSE(topic::covers("dev1/#", "+/x"));
  EXPECT_FALSE(topic::covers("a/+/c", "a/#"));
  EXPECT_FALSE(topic::covers("a/b", "a/+"));
  EXPECT_FALSE(topic::covers("a/b", "a/b/c"));
}
