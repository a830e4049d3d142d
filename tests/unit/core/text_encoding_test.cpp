// Base64 (RFC 4648 section 10 test vectors) and hex.
#include "core/text_encoding.hpp"

#include <gtest/gtest.h>

using namespace trellis;

namespace {

std::string error_code(const Result<std::string>& r) {
  return r ? "ok" : r.error().code;
}

TEST(Base64, Rfc4648VectorsBothDirections) {
  const std::pair<std::string, std::string> cases[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(base64_encode(plain), encoded);
    auto decoded = base64_decode(encoded);
    ASSERT_TRUE(decoded) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(Base64, UrlAlphabetWithoutPadding) {
  EXPECT_EQ(base64_encode("\xfb\xff", Base64Alphabet::url, false), "-_8");
  EXPECT_EQ(base64_encode("\xfb\xff"), "+/8=");
  EXPECT_EQ(base64_encode("f", Base64Alphabet::standard, false), "Zg");
}

TEST(Base64, EncodesBytesAsWellAsText) {
  const std::vector<uint8_t> bytes = {0x00, 0xfb, 0xff};
  EXPECT_EQ(base64_encode(bytes), "APv/");
}

TEST(Base64, DecodesEitherAlphabetWithOrWithoutPadding) {
  for (const char* text : {"-_8", "-_8=", "+/8", "+/8="}) {
    auto decoded = base64_decode(text);
    ASSERT_TRUE(decoded) << text;
    EXPECT_EQ(*decoded, "\xfb\xff") << text;
  }
}

TEST(Base64Malformed, EachFaultHasItsCode) {
  EXPECT_EQ(error_code(base64_decode("Zm9vY")), "base64_bad_length");
  EXPECT_EQ(error_code(base64_decode("Zm9v=")), "base64_bad_length");
  EXPECT_EQ(error_code(base64_decode("Zm9vYg=")), "base64_bad_length");
  EXPECT_EQ(error_code(base64_decode("Zm9v!A==")), "base64_bad_char");
  EXPECT_EQ(error_code(base64_decode("Zg==Zg==")), "base64_bad_char");
  EXPECT_EQ(error_code(base64_decode("Zg===")), "base64_bad_char");
  EXPECT_EQ(error_code(base64_decode("A===")), "base64_bad_char");
  EXPECT_EQ(error_code(base64_decode(" Zg==")), "base64_bad_char");
  EXPECT_EQ(error_code(base64_decode("===")), "base64_bad_char");
  // "Zh==" would also read as "f": only the canonical text is accepted.
  EXPECT_EQ(error_code(base64_decode("Zh==")), "base64_trailing_bits");
}

TEST(Hex, RoundTripAndCase) {
  EXPECT_EQ(hex_encode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
  auto decoded = hex_decode("0001ABff");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, std::string("\x00\x01\xab\xff", 4));
  EXPECT_EQ(hex_digit('7'), 7);
  EXPECT_EQ(hex_digit('c'), 12);
  EXPECT_EQ(hex_digit('F'), 15);
  EXPECT_EQ(hex_digit('g'), -1);
}

TEST(HexMalformed, EachFaultHasItsCode) {
  EXPECT_EQ(error_code(hex_decode("abc")), "hex_bad_length");
  EXPECT_EQ(error_code(hex_decode("zz")), "hex_bad_char");
  EXPECT_EQ(error_code(hex_decode("0x")), "hex_bad_char");
}

}  // namespace
