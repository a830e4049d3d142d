// Base64 (RFC 4648, section 10 test vectors).
#include "adapters/lwm2m/content/base64.hpp"

#include "test_support.hpp"

namespace trellis::lwm2m::test {
namespace {

Bytes of(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

TEST(Base64, Rfc4648VectorsBothDirections) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(base64_encode(of(plain), Base64Alphabet::standard, true), encoded);
    auto decoded = base64_decode(encoded);
    ASSERT_OK(decoded);
    EXPECT_EQ(*decoded, of(plain));
  }
}

TEST(Base64, UrlAlphabetWithoutPadding) {
  EXPECT_EQ(base64_encode(bytes_of({0xFB, 0xFF}), Base64Alphabet::url, false), "-_8");
  EXPECT_EQ(base64_encode(bytes_of({0xFB, 0xFF}), Base64Alphabet::standard, true), "+/8=");
  auto decoded = base64_decode("-_8");
  ASSERT_OK(decoded);
  EXPECT_EQ(*decoded, bytes_of({0xFB, 0xFF}));
}

TEST(Base64, PaddingOptionalOnDecode) {
  auto decoded = base64_decode("Zg");
  ASSERT_OK(decoded);
  EXPECT_EQ(*decoded, of("f"));
}

TEST(Base64Malformed, LoneFinalCharacter) {
  EXPECT_ERROR(base64_decode("Zm9vY"), "base64_bad_length");
}

TEST(Base64Malformed, PaddingNotCompletingQuantum) {
  EXPECT_ERROR(base64_decode("Zm9v="), "base64_bad_length");
}

TEST(Base64Malformed, CharacterOutsideAlphabet) {
  EXPECT_ERROR(base64_decode("Zm9v!A=="), "base64_bad_char");
}

TEST(Base64Malformed, PaddingInTheMiddle) {
  EXPECT_ERROR(base64_decode("Zg==Zg=="), "base64_bad_char");
}

TEST(Base64Malformed, NonZeroTrailingBits) {
  EXPECT_ERROR(base64_decode("Zh=="), "base64_trailing_bits");
}

}  // namespace
}  // namespace trellis::lwm2m::test
