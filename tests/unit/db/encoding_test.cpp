#include "db/encoding.hpp"

#include <gtest/gtest.h>

#include "db/cursor.hpp"

namespace trellis::db {
namespace {

// RFC 4648 section 10 test vectors.
TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_decode("Zm9vYg=="), "foob");
  EXPECT_EQ(base64_decode("Zm9vYmFy"), "foobar");
}

TEST(Base64, DecodeRefusesWrongPadding) {
  EXPECT_FALSE(base64_decode("Zm9vYg="));
}
TEST(Base64, DecodeRefusesForeignCharacters) {
  EXPECT_FALSE(base64_decode("Zm9v!mFy"));
}
TEST(Base64, DecodeRefusesStrayTrailingBits) {
  EXPECT_FALSE(base64_decode("Zh=="));
}

TEST(Base64Url, UsesUrlAlphabetWithoutPadding) {
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_decode("-_8"), "\xfb\xff");
  EXPECT_FALSE(base64url_decode("+/8"));
}

TEST(Hex, RoundTripAndCase) {
  EXPECT_EQ(hex_encode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
  EXPECT_EQ(hex_decode("0001ABff"), std::string("\x00\x01\xab\xff", 4));
  EXPECT_FALSE(hex_decode("abc"));
  EXPECT_FALSE(hex_decode("zz"));
}

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
  EXPECT_FALSE(decode_cursor(base64url_encode("devices|99:x"), "devices", 1));
}

}  // namespace
}  // namespace trellis::db
