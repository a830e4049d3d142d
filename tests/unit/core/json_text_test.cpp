#include "core/json_text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace trellis {
namespace {

TEST(JsonNesting, CountsArraysAndObjectsTogether) {
  EXPECT_TRUE(json_nesting_within(R"({"a": [1, {"b": [2]}]})", 4));
  EXPECT_FALSE(json_nesting_within(R"({"a": [1, {"b": [2]}]})", 3));
  EXPECT_TRUE(json_nesting_within("[][][][]", 1));
  EXPECT_TRUE(json_nesting_within("", 0));
  EXPECT_TRUE(json_nesting_within("42", 0));
}

TEST(JsonNesting, BracketsInsideStringsDoNotCount) {
  EXPECT_TRUE(json_nesting_within(R"({"k": "[[[[{{{{"})", 1));
  // An escaped quote does not end the string; an escaped backslash does not escape the quote.
  EXPECT_TRUE(json_nesting_within(R"(["a\"[[[["])", 1));
  EXPECT_FALSE(json_nesting_within(R"(["a\\", [[]]])", 2));
}

TEST(JsonNesting, TheDefaultLimitIsMaxJsonDepth) {
  const auto nest = [](int n) { return std::string(n, '[') + std::string(n, ']'); };
  EXPECT_TRUE(json_nesting_within(nest(max_json_depth)));
  EXPECT_FALSE(json_nesting_within(nest(max_json_depth + 1)));
  // Stops at the first level too deep: a 1 MiB run of '[' is refused at once.
  EXPECT_FALSE(json_nesting_within(std::string(1 << 20, '[')));
}

TEST(StringMember, OnlyAStringMemberIsRead) {
  const auto j = nlohmann::json::parse(R"({"s": "x", "n": 1, "o": {}, "z": null, "e": ""})");
  EXPECT_EQ(string_member(j, "s"), "x");
  EXPECT_EQ(string_member(j, "e"), "");
  for (const char* key : {"n", "o", "z", "missing"}) EXPECT_EQ(string_member(j, key), std::nullopt);
  EXPECT_EQ(string_member(nlohmann::json::array({"s"}), "s"), std::nullopt);
  EXPECT_EQ(string_member(nlohmann::json("s"), "s"), std::nullopt);
}

}  // namespace
}  // namespace trellis

TEST(JsonErrorText, DropsTheLibraryTagAndKeepsWhere) {
  try {
    const auto parsed = nlohmann::json::parse("{\"a\": ");
    FAIL() << "parsed " << parsed;
  } catch (const nlohmann::json::exception& e) {
    const std::string why = trellis::json_error_text(e);
    EXPECT_EQ(why.find("[json.exception"), std::string::npos) << why;
    EXPECT_TRUE(why.starts_with("parse error at line 1, column")) << why;
  }
}
