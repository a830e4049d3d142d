// Single-value formats: text/plain (0), application/octet-stream (42) and
// application/cbor (60) (LwM2M 1.1 Core, 7.4.1, 7.4.2, 7.4.7; Appendix C).
#include "adapters/lwm2m/content/plain_text.hpp"

#include <limits>

#include "adapters/lwm2m/content/cbor_value.hpp"
#include "test_support.hpp"

namespace trellis::lwm2m::test {
namespace {

struct TextCase {
  const char* path;
  const char* text;
  Value value;
};

TEST(PlainText, EveryTypeBothDirections) {
  const std::vector<TextCase> cases = {
      {"/9/0/0", "Open Mobile Alliance", std::string("Open Mobile Alliance")},   // String
      {"/9/0/1", "-42", int64_t{-42}},                                           // Integer
      {"/9/0/2", "18446744073709551615", std::numeric_limits<uint64_t>::max()},  // Unsigned
      {"/9/0/3", "22.4", 22.4},                                                  // Float
      {"/9/0/3", "1e+300", 1e300},                              // Float in exponent notation
      {"/9/0/4", "1", true},                                    // Boolean true is "1"
      {"/9/0/4", "0", false},                                   // Boolean false is "0"
      {"/9/0/5", "AP8Q", bytes_of({0x00, 0xFF, 0x10})},         // Opaque as base64
      {"/9/0/6", "1367491215", Time{1367491215}},               // Time as seconds
      {"/9/0/7", "66:1", ObjLnk{66, 1}},                        // Objlnk "object:instance"
      {"/9/0/8", "</3/0>;ver=1.1", CoreLnk{"</3/0>;ver=1.1"}},  // Corelnk as it is
  };
  for (const auto& c : cases) {
    const std::vector<ResourceRecord> expected = {rec(c.path, c.value)};
    auto records = decode_text(c.text, path(c.path), spec_lookup());
    ASSERT_OK(records);
    EXPECT_EQ(*records, expected) << c.text;
    auto text = encode_text(expected, path(c.path), spec_lookup());
    ASSERT_OK(text);
    EXPECT_EQ(*text, c.text);
  }
}

TEST(PlainText, UnknownTypeIsString) {
  auto records = decode_text("95", path("/500/0/1"), no_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, (std::vector<ResourceRecord>{rec("/500/0/1", std::string("95"))}));
}

TEST(PlainText, ResourceInstance) {
  auto records = decode_text("3800", path("/3/0/7/0"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, (std::vector<ResourceRecord>{rec("/3/0/7/0", int64_t{3800})}));
}

TEST(PlainText, IntegralFloatKeepsNoFraction) {
  auto text = encode_text({rec("/9/0/3", 3.0)}, path("/9/0/3"), spec_lookup());
  ASSERT_OK(text);
  EXPECT_EQ(*text, "3");
}

TEST(PlainTextMalformed, PathNotResource) {
  EXPECT_ERROR(decode_text("1", path("/3/0"), spec_lookup()), "path_not_resource");
}

TEST(PlainTextMalformed, IntegerWithLetters) {
  EXPECT_ERROR(decode_text("12a", path("/9/0/1"), spec_lookup()), "text_bad_number");
}

TEST(PlainTextMalformed, IntegerWithPlusSign) {
  EXPECT_ERROR(decode_text("+5", path("/9/0/1"), spec_lookup()), "text_bad_number");
}

TEST(PlainTextMalformed, IntegerOverflow) {
  EXPECT_ERROR(decode_text("9223372036854775808", path("/9/0/1"), spec_lookup()),
               "text_bad_number");
}

TEST(PlainTextMalformed, UnsignedNegative) {
  EXPECT_ERROR(decode_text("-1", path("/9/0/2"), spec_lookup()), "text_bad_number");
}

TEST(PlainTextMalformed, FloatNaN) {
  EXPECT_ERROR(decode_text("nan", path("/9/0/3"), spec_lookup()), "text_bad_number");
}

TEST(PlainTextMalformed, FloatEmpty) {
  EXPECT_ERROR(decode_text("", path("/9/0/3"), spec_lookup()), "text_bad_number");
}

TEST(PlainTextMalformed, BooleanNotZeroOrOne) {
  EXPECT_ERROR(decode_text("true", path("/9/0/4"), spec_lookup()), "text_bad_boolean");
}

TEST(PlainTextMalformed, OpaqueNotBase64) {
  EXPECT_ERROR(decode_text("A", path("/9/0/5"), spec_lookup()), "base64_bad_length");
}

TEST(PlainTextMalformed, ObjlnkIdAbove65535) {
  EXPECT_ERROR(decode_text("65536:0", path("/9/0/7"), spec_lookup()), "bad_objlnk");
}

TEST(PlainTextEncode, MoreThanOneRecord) {
  EXPECT_ERROR(encode_text({rec("/9/0/1", int64_t{1}), rec("/9/0/1", int64_t{2})}, path("/9/0/1"),
                           spec_lookup()),
               "single_value");
}

TEST(PlainTextEncode, RecordNotTheBasePath) {
  EXPECT_ERROR(encode_text({rec("/9/0/1", int64_t{1})}, path("/9/0/2"), spec_lookup()),
               "path_outside_base");
}

TEST(PlainTextEncode, NonFiniteFloat) {
  EXPECT_ERROR(encode_text({rec("/9/0/3", std::numeric_limits<double>::quiet_NaN())},
                           path("/9/0/3"), spec_lookup()),
               "non_finite");
}

TEST(PlainTextEncode, ValueOfWrongType) {
  EXPECT_ERROR(encode_text({rec("/9/0/4", int64_t{1})}, path("/9/0/4"), spec_lookup()),
               "type_mismatch");
}

TEST(Opaque, RawBytesBothDirections) {
  const std::string raw = hex({0x00, 0x01, 0xFF});
  const std::vector<ResourceRecord> expected = {rec("/5/0/0", bytes_of({0x00, 0x01, 0xFF}))};
  auto records = decode_opaque(raw, path("/5/0/0"), no_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, expected);
  auto bytes = encode_opaque(expected, path("/5/0/0"), no_lookup());
  ASSERT_OK(bytes);
  EXPECT_EQ(*bytes, raw);
}

TEST(OpaqueMalformed, PathNotResource) {
  EXPECT_ERROR(decode_opaque("x", path("/5/0"), no_lookup()), "path_not_resource");
}

TEST(OpaqueEncode, NotOpaqueValue) {
  EXPECT_ERROR(encode_opaque({rec("/5/0/0", std::string("x"))}, path("/5/0/0"), no_lookup()),
               "type_mismatch");
}

struct CborCase {
  const char* path;
  std::string bytes;
  Value value;
};

TEST(CborValue, EveryTypeBothDirections) {
  const std::vector<CborCase> cases = {
      {"/9/0/0", hex({0x63}) + "abc", std::string("abc")},  // String: text(3)
      {"/9/0/1", hex({0x38, 0x63}), int64_t{-100}},         // Integer: major 1
      {"/9/0/2", hex({0x1B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}),
       std::numeric_limits<uint64_t>::max()},                       // Unsigned: major 0
      {"/9/0/3", hex({0xF9, 0x3E, 0x00}), 1.5},                     // Float: half
      {"/9/0/4", hex({0xF5}), true},                                // Boolean: simple 21
      {"/9/0/5", hex({0x42, 0x00, 0xFF}), bytes_of({0x00, 0xFF})},  // Opaque: bytes(2)
      {"/9/0/6", hex({0xC1, 0x1A, 0x51, 0x82, 0x42, 0x8F}), Time{1367491215}},  // Time: tag 1
      {"/9/0/7", hex({0x64}) + "66:1", ObjLnk{66, 1}},                          // Objlnk: text
      {"/9/0/8", hex({0x66}) + "</3/0>", CoreLnk{"</3/0>"}},                    // Corelnk: text
  };
  for (const auto& c : cases) {
    const std::vector<ResourceRecord> expected = {rec(c.path, c.value)};
    auto records = decode_cbor(c.bytes, path(c.path), spec_lookup());
    ASSERT_OK(records);
    EXPECT_EQ(*records, expected) << c.path;
    auto bytes = encode_cbor(expected, path(c.path), spec_lookup());
    ASSERT_OK(bytes);
    EXPECT_EQ(*bytes, c.bytes) << c.path;
  }
}

TEST(CborValue, UntaggedIntegerReadsAsTime) {
  auto records = decode_cbor(hex({0x1A, 0x51, 0x82, 0x42, 0x8F}), path("/3/0/13"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, (std::vector<ResourceRecord>{rec("/3/0/13", Time{1367491215})}));
}

TEST(CborValueMalformed, ArrayIsNoValue) {
  EXPECT_ERROR(decode_cbor(hex({0x80}), path("/9/0/1"), spec_lookup()), "cbor_unsupported_item");
}

TEST(CborValueMalformed, TruncatedItem) {
  EXPECT_ERROR(decode_cbor(hex({0x19, 0x01}), path("/9/0/1"), spec_lookup()), "cbor_truncated");
}

TEST(CborValueMalformed, PathNotResource) {
  EXPECT_ERROR(decode_cbor(hex({0x01}), path("/9/0"), spec_lookup()), "path_not_resource");
}

TEST(CborValueMalformed, ValueOfWrongModelType) {
  EXPECT_ERROR(decode_cbor(hex({0xF5}), path("/9/0/1"), spec_lookup()), "type_mismatch");
}

}  // namespace
}  // namespace trellis::lwm2m::test
