#include "db/encoding.hpp"

#include <gtest/gtest.h>

#include "core/text_encoding.hpp"
#include "db/cursor.hpp"

namespace trellis::db {
namespace {

TEST(Sha256, KnownDigest) {
  // FIPS 180-2 appendix B.1: SHA-256("abc").
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

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
