// LwM2M paths (LwM2M 1.1 Core, 6.1 / 7.4.4 names).
#include "adapters/lwm2m/content/path.hpp"

#include "test_support.hpp"

namespace trellis::lwm2m::test {
namespace {

TEST(Path, ParsesEveryDepth) {
  auto p = parse_path("/3/0/7/1");
  ASSERT_OK(p);
  EXPECT_EQ(p->object, 3);
  EXPECT_EQ(p->instance, 0);
  EXPECT_EQ(p->resource, 7);
  EXPECT_EQ(p->resource_instance, 1);
  EXPECT_EQ(p->depth(), 4);
  for (const char* text : {"/3", "/3/0", "/3/0/7", "/3/0/7/1", "/65535/65535/65535/65535"}) {
    auto q = parse_path(text);
    ASSERT_OK(q);
    EXPECT_EQ(q->to_string(), text);
  }
}

TEST(Path, TrailingSlashAccepted) {
  auto p = parse_path("/3/0/");
  ASSERT_OK(p);
  EXPECT_EQ(p->to_string(), "/3/0");
}

TEST(Path, ContainsAndTruncated) {
  const Path object = path("/3");
  const Path resource = path("/3/0/7");
  EXPECT_TRUE(object.contains(resource));
  EXPECT_TRUE(resource.contains(resource));
  EXPECT_FALSE(resource.contains(object));
  EXPECT_FALSE(path("/3/1").contains(resource));
  EXPECT_EQ(path("/3/0/7/1").truncated(3), resource);
  EXPECT_EQ(resource.truncated(1), object);
}

TEST(PathMalformed, NoLeadingSlash) {
  EXPECT_ERROR(parse_path("3/0"), "bad_path");
}
TEST(PathMalformed, Empty) {
  EXPECT_ERROR(parse_path(""), "bad_path");
}
TEST(PathMalformed, Root) {
  EXPECT_ERROR(parse_path("/"), "root_path");
}
TEST(PathMalformed, EmptySegment) {
  EXPECT_ERROR(parse_path("/3//1"), "bad_path");
}
TEST(PathMalformed, TwoTrailingSlashes) {
  EXPECT_ERROR(parse_path("/3/0//"), "bad_path");
}
TEST(PathMalformed, NotANumber) {
  EXPECT_ERROR(parse_path("/3/x"), "bad_path");
}
TEST(PathMalformed, LeadingZero) {
  EXPECT_ERROR(parse_path("/03"), "bad_path");
}
TEST(PathMalformed, IdAbove65535) {
  EXPECT_ERROR(parse_path("/65536"), "bad_path");
}
TEST(PathMalformed, FiveLevels) {
  EXPECT_ERROR(parse_path("/1/2/3/4/5"), "bad_path");
}
TEST(PathMalformed, NegativeId) {
  EXPECT_ERROR(parse_path("/-1"), "bad_path");
}

}  // namespace
}  // namespace trellis::lwm2m::test
