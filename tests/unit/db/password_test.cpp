#include "db/password.hpp"

#include <gtest/gtest.h>

#include "core/text_encoding.hpp"

namespace trellis::db {
namespace {

TEST(Password, FormatIsSchemeIterationsSaltHash) {
  auto h = hash_password("secret", 1000);
  // "pbkdf2-sha256$1000$<24 chars: 16 bytes base64>$<44 chars: 32 bytes base64>"
  ASSERT_EQ(h.rfind("pbkdf2-sha256$1000$", 0), 0u) << h;
  auto rest = h.substr(std::string("pbkdf2-sha256$1000$").size());
  auto dollar = rest.find('$');
  ASSERT_NE(dollar, std::string::npos);
  auto salt = base64_decode(rest.substr(0, dollar));
  auto key = base64_decode(rest.substr(dollar + 1));
  ASSERT_TRUE(salt && key);
  EXPECT_EQ(salt->size(), 16u);
  EXPECT_EQ(key->size(), 32u);
}

TEST(Password, DefaultIterationsAreAtLeastTenThousand) {
  EXPECT_GE(default_password_iterations, 10000);
  EXPECT_EQ(hash_password("x").rfind("pbkdf2-sha256$10000$", 0), 0u);
}

TEST(Password, VerifiesRightAndRefusesWrong) {
  auto h = hash_password("correct horse", 100);
  EXPECT_TRUE(verify_password("correct horse", h));
  EXPECT_FALSE(verify_password("correct horsE", h));
  EXPECT_FALSE(verify_password("", h));
}

TEST(Password, SamePasswordGetsDifferentSalts) {
  auto a = hash_password("same", 100);
  auto b = hash_password("same", 100);
  EXPECT_NE(a, b);
  EXPECT_TRUE(verify_password("same", a));
  EXPECT_TRUE(verify_password("same", b));
}

// RFC 7914 section 11: PBKDF2-HMAC-SHA256, P = "passwd", S = "salt", c = 1, dkLen = 64.
TEST(Password, VerifiesRfc7914Vector) {
  std::string stored =
      "pbkdf2-sha256$1$c2FsdA==$"
      "VawEblbjCJ/sFpHCJUS2BflBhSFt3gRl5oudV8INrLxJypzM8Xm2RZkWZLOdd+8xfHG4RbHjC9UJESBB06GXgw==";
  EXPECT_TRUE(verify_password("passwd", stored));
  EXPECT_FALSE(verify_password("passwe", stored));
}

TEST(Password, MalformedStoredStringsNeverVerify) {
  EXPECT_FALSE(verify_password("x", ""));
  EXPECT_FALSE(verify_password("x", "plain"));
  EXPECT_FALSE(verify_password("x", "md5$1$c2FsdA==$c2FsdHNhbHRzYWx0c2FsdA=="));
  EXPECT_FALSE(verify_password("x", "pbkdf2-sha256$0$c2FsdA==$c2FsdHNhbHRzYWx0c2FsdA=="));
  EXPECT_FALSE(verify_password("x", "pbkdf2-sha256$99999999$c2FsdA==$c2FsdHNhbHRzYWx0c2FsdA=="));
  EXPECT_FALSE(verify_password("x", "pbkdf2-sha256$1x$c2FsdA==$c2FsdHNhbHRzYWx0c2FsdA=="));
  EXPECT_FALSE(verify_password("x", "pbkdf2-sha256$1$!!$c2FsdHNhbHRzYWx0c2FsdA=="));
  EXPECT_FALSE(verify_password("x", "pbkdf2-sha256$1$c2FsdA==$c2Fs"));  // hash too short
  EXPECT_FALSE(verify_password("x", "pbkdf2-sha256$1$c2FsdA==$c2FsdHNhbHRzYWx0c2FsdA==$x"));
}

}  // namespace
}  // namespace trellis::db
