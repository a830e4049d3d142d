// Pagination cursors: any field bytes survive, and a cursor of another list,
// field count or a mangled one is refused.
#include "db/cursor.hpp"

#include <gtest/gtest.h>

#include "core/text_encoding.hpp"

namespace trellis::db {
namespace {

TEST(Cursor, RoundTripsAnyBytes) {
  std::vector<std::string> fields = {"a|b:c", std::string("\0x", 2), ""};
  auto c = encode_cursor("tag", fields);
  auto back = decode_cursor(c, "tag", 3);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, fields);
}

TEST(Cursor, RefusesOtherTagsCountsAndGarbage) {
  auto c = encode_cursor("devices", {"x"});
  EXPECT_FALSE(decode_cursor(c, "commands", 1));
  EXPECT_FALSE(decode_cursor(c, "devices", 2));
  EXPECT_FALSE(decode_cursor("not a cursor!", "devices", 1));
  EXPECT_FALSE(
      decode_cursor(base64_encode("devices|99:x", Base64Alphabet::url, false), "devices", 1));
}

}  // namespace
}  // namespace trellis::db
