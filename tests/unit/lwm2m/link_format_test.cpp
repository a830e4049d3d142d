// CoRE Link Format (RFC 6690) as LwM2M registration and discover use it.
#include "adapters/lwm2m/content/link_format.hpp"

#include "test_support.hpp"

namespace trellis::lwm2m::test {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

TEST(LinkFormat, RegistrationPayload) {
  // LwM2M 1.1 Core, 6.2.1: root with rt and ct, then object instances.
  auto links = parse_link_format(R"(</>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>;ver=1.1)");
  ASSERT_OK(links);
  ASSERT_EQ(links->size(), 3u);
  EXPECT_EQ((*links)[0].uri, "/");
  EXPECT_EQ((*links)[0].params, (Params{{"rt", "oma.lwm2m"}, {"ct", "11543"}}));
  EXPECT_EQ((*links)[1].uri, "/1/0");
  EXPECT_TRUE((*links)[1].params.empty());
  EXPECT_EQ((*links)[2].uri, "/3/0");
  EXPECT_EQ((*links)[2].param("ver"), "1.1");
  EXPECT_EQ((*links)[2].param("rt"), std::nullopt);
}

TEST(LinkFormat, QuotedValuesKeepCommasAndSemicolons) {
  auto links = parse_link_format(R"(</3303/0>;title="a,b;c";ct="60 110",</1>)");
  ASSERT_OK(links);
  ASSERT_EQ(links->size(), 2u);
  EXPECT_EQ((*links)[0].params, (Params{{"title", "a,b;c"}, {"ct", "60 110"}}));
  EXPECT_EQ((*links)[1].uri, "/1");
}

TEST(LinkFormat, EscapedQuoteInsideQuotedValue) {
  auto links = parse_link_format(R"(</a>;title="say \"hi\" \\ ok")");
  ASSERT_OK(links);
  EXPECT_EQ((*links)[0].param("title"), R"(say "hi" \ ok)");
}

TEST(LinkFormat, ParameterWithoutValue) {
  // Discover answers mark observable resources with a bare attribute.
  auto links = parse_link_format("</3/0/13>;obs;pmin=10");
  ASSERT_OK(links);
  EXPECT_EQ((*links)[0].params, (Params{{"obs", ""}, {"pmin", "10"}}));
}

TEST(LinkFormat, WhitespaceAroundSeparators) {
  auto links = parse_link_format(" </1/0> ;ver = 1.1 ,\r\n </3/0> ");
  ASSERT_OK(links);
  ASSERT_EQ(links->size(), 2u);
  EXPECT_EQ((*links)[0].param("ver"), "1.1");
  EXPECT_EQ((*links)[1].uri, "/3/0");
}

TEST(LinkFormat, EmptyTextIsNoLinks) {
  auto links = parse_link_format("");
  ASSERT_OK(links);
  EXPECT_TRUE(links->empty());
}

TEST(LinkFormat, FormatRoundTrips) {
  const std::string text = R"(</>;rt="oma.lwm2m";ct=11543,</3/0>;ver=1.1;title="a,b";obs)";
  auto links = parse_link_format(text);
  ASSERT_OK(links);
  EXPECT_EQ(format_link_format(*links), text);
}

TEST(LinkFormatMalformed, LinkWithoutAngleBracket) {
  EXPECT_ERROR(parse_link_format("/1/0"), "link_expected_uri");
}

TEST(LinkFormatMalformed, UnterminatedUri) {
  EXPECT_ERROR(parse_link_format("</1/0;ver=1.1"), "link_unterminated_uri");
}

TEST(LinkFormatMalformed, UnterminatedQuote) {
  EXPECT_ERROR(parse_link_format(R"(</>;rt="oma.lwm2m)"), "link_unterminated_quote");
}

TEST(LinkFormatMalformed, BackslashAtEndOfQuote) {
  EXPECT_ERROR(parse_link_format("</>;rt=\"x\\"), "link_unterminated_quote");
}

TEST(LinkFormatMalformed, ParameterWithoutName) {
  EXPECT_ERROR(parse_link_format("</1>;=5"), "link_bad_param");
}

TEST(LinkFormatMalformed, EmptyParameter) {
  EXPECT_ERROR(parse_link_format("</1>;;ver=1"), "link_bad_param");
}

TEST(LinkFormatMalformed, TextAfterLink) {
  EXPECT_ERROR(parse_link_format("</1>x"), "link_unexpected_char");
}

TEST(LinkFormatMalformed, TrailingComma) {
  EXPECT_ERROR(parse_link_format("</1>,"), "link_expected_uri");
}

}  // namespace
}  // namespace trellis::lwm2m::test
