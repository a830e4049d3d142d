#include "objects/numeric_range.hpp"

#include <gtest/gtest.h>

namespace trellis::objects {
namespace {

TEST(NumericRange, ParsesIntegerBounds) {
  EXPECT_EQ(parse_numeric_range("0..100"), (NumericRange{0, 100}));
  EXPECT_EQ(parse_numeric_range("1..65534"), (NumericRange{1, 65534}));
}

TEST(NumericRange, ParsesNegativeBounds) {
  EXPECT_EQ(parse_numeric_range("-40..85"), (NumericRange{-40, 85}));
  EXPECT_EQ(parse_numeric_range("-90..-10"), (NumericRange{-90, -10}));
}

TEST(NumericRange, ParsesFractionalBounds) {
  EXPECT_EQ(parse_numeric_range("0..1"), (NumericRange{0, 1}));
  EXPECT_EQ(parse_numeric_range("0.5..2.25"), (NumericRange{0.5, 2.25}));
}

TEST(NumericRange, AllowsSpacesAroundBounds) {
  EXPECT_EQ(parse_numeric_range(" 0 .. 255 "), (NumericRange{0, 255}));
}

TEST(NumericRange, RejectsWhatIsNotARange) {
  EXPECT_EQ(parse_numeric_range(""), std::nullopt);
  EXPECT_EQ(parse_numeric_range("6"), std::nullopt);
  EXPECT_EQ(parse_numeric_range("16,32,48"), std::nullopt);
  EXPECT_EQ(parse_numeric_range("The possible values are listed"), std::nullopt);
  EXPECT_EQ(parse_numeric_range("0.."), std::nullopt);
  EXPECT_EQ(parse_numeric_range("..5"), std::nullopt);
  EXPECT_EQ(parse_numeric_range("a..b"), std::nullopt);
  EXPECT_EQ(parse_numeric_range("0..100x"), std::nullopt);
}

TEST(NumericRange, RejectsMinAboveMax) {
  EXPECT_EQ(parse_numeric_range("10..1"), std::nullopt);
}

TEST(NumericRange, RejectsNonFiniteBounds) {
  EXPECT_EQ(parse_numeric_range("0..inf"), std::nullopt);
  EXPECT_EQ(parse_numeric_range("nan..1"), std::nullopt);
  EXPECT_EQ(parse_numeric_range("0..1e999"), std::nullopt);
}

TEST(NumericRange, ContainsIsInclusive) {
  const NumericRange r{-40, 85};
  EXPECT_TRUE(r.contains(-40));
  EXPECT_TRUE(r.contains(85));
  EXPECT_TRUE(r.contains(20.5));
  EXPECT_FALSE(r.contains(85.01));
  EXPECT_FALSE(r.contains(-41));
}

}  // namespace
}  // namespace trellis::objects
