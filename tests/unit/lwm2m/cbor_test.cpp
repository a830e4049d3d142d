// The CBOR reader and writer (RFC 8949), checked against Appendix A examples.
#include "adapters/lwm2m/content/cbor.hpp"

#include <cmath>
#include <limits>

#include "test_support.hpp"

namespace trellis::lwm2m::test {
namespace {

std::string write_int(int64_t v) {
  cbor::Writer w;
  w.signed_int(v);
  return w.take();
}

std::string write_float(double d) {
  cbor::Writer w;
  w.float_shortest(d);
  return w.take();
}

TEST(Cbor, IntegersEncodeShortest) {
  EXPECT_EQ(write_int(0), hex({0x00}));                                // major 0, value in info
  EXPECT_EQ(write_int(23), hex({0x17}));                               // largest in-info value
  EXPECT_EQ(write_int(24), hex({0x18, 0x18}));                         // info 24: one byte follows
  EXPECT_EQ(write_int(1000), hex({0x19, 0x03, 0xE8}));                 // info 25: two bytes
  EXPECT_EQ(write_int(1000000), hex({0x1A, 0x00, 0x0F, 0x42, 0x40}));  // info 26: four
  EXPECT_EQ(write_int(1000000000000),
            hex({0x1B, 0x00, 0x00, 0x00, 0xE8, 0xD4, 0xA5, 0x10, 0x00}));  // info 27: eight
  EXPECT_EQ(write_int(-1), hex({0x20}));                                   // major 1: -1 - 0
  EXPECT_EQ(write_int(-10), hex({0x29}));                                  // -1 - 9
  EXPECT_EQ(write_int(-100), hex({0x38, 0x63}));                           // -1 - 99
  EXPECT_EQ(write_int(-1000), hex({0x39, 0x03, 0xE7}));                    // -1 - 999
  EXPECT_EQ(write_int(std::numeric_limits<int64_t>::min()),
            hex({0x3B, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}));
  cbor::Writer w;
  w.unsigned_int(std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(w.take(), hex({0x1B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}));
}

TEST(Cbor, FloatsEncodeShortestExact) {
  EXPECT_EQ(write_float(0.0), hex({0xF9, 0x00, 0x00}));                   // half +0
  EXPECT_EQ(write_float(-0.0), hex({0xF9, 0x80, 0x00}));                  // half -0
  EXPECT_EQ(write_float(1.0), hex({0xF9, 0x3C, 0x00}));                   // half 1.0
  EXPECT_EQ(write_float(1.5), hex({0xF9, 0x3E, 0x00}));                   // half 1.5
  EXPECT_EQ(write_float(65504.0), hex({0xF9, 0x7B, 0xFF}));               // largest half
  EXPECT_EQ(write_float(5.960464477539063e-8), hex({0xF9, 0x00, 0x01}));  // smallest subnormal
  EXPECT_EQ(write_float(0.00006103515625), hex({0xF9, 0x04, 0x00}));      // smallest normal
  EXPECT_EQ(write_float(-4.0), hex({0xF9, 0xC4, 0x00}));                  // half -4
  EXPECT_EQ(write_float(100000.0), hex({0xFA, 0x47, 0xC3, 0x50, 0x00}));  // single
  EXPECT_EQ(write_float(3.4028234663852886e+38), hex({0xFA, 0x7F, 0x7F, 0xFF, 0xFF}));
  EXPECT_EQ(write_float(1.1), hex({0xFB, 0x3F, 0xF1, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A}));
  EXPECT_EQ(write_float(1.0e+300), hex({0xFB, 0x7E, 0x37, 0xE4, 0x3C, 0x88, 0x00, 0x75, 0x9C}));
  EXPECT_EQ(write_float(std::numeric_limits<double>::infinity()), hex({0xF9, 0x7C, 0x00}));
  EXPECT_EQ(write_float(-std::numeric_limits<double>::infinity()), hex({0xF9, 0xFC, 0x00}));
  EXPECT_EQ(write_float(std::nan("")), hex({0xF9, 0x7E, 0x00}));
}

TEST(Cbor, FloatsDecodeFromEveryWidth) {
  struct Case {
    std::string bytes;
    double value;
  };
  const std::vector<Case> cases = {
      {hex({0xF9, 0x3C, 0x00}), 1.0},                                      // half
      {hex({0xF9, 0x00, 0x01}), 5.960464477539063e-8},                     // half subnormal
      {hex({0xF9, 0xC4, 0x00}), -4.0},                                     // half negative
      {hex({0xFA, 0x47, 0xC3, 0x50, 0x00}), 100000.0},                     // single
      {hex({0xFB, 0x3F, 0xF1, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A}), 1.1},  // double
  };
  for (const auto& c : cases) {
    auto it = cbor::decode(c.bytes);
    ASSERT_OK(it);
    EXPECT_EQ(it->kind, cbor::Kind::float_);
    EXPECT_EQ(it->float_value, c.value);
  }
  auto nan = cbor::decode(hex({0xF9, 0x7E, 0x00}));
  ASSERT_OK(nan);
  EXPECT_TRUE(std::isnan(nan->float_value));
  auto inf = cbor::decode(hex({0xFA, 0x7F, 0x80, 0x00, 0x00}));
  ASSERT_OK(inf);
  EXPECT_EQ(inf->float_value, std::numeric_limits<double>::infinity());
}

TEST(Cbor, IntegersDecode) {
  auto big = cbor::decode(hex({0x1B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}));
  ASSERT_OK(big);
  EXPECT_EQ(big->kind, cbor::Kind::unsigned_int);
  EXPECT_EQ(big->number, std::numeric_limits<uint64_t>::max());
  EXPECT_FALSE(big->as_int64());
  auto neg = cbor::decode(hex({0x39, 0x03, 0xE7}));
  ASSERT_OK(neg);
  EXPECT_EQ(neg->as_int64(), -1000);
  auto min = cbor::decode(hex({0x3B, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}));
  ASSERT_OK(min);
  EXPECT_EQ(min->as_int64(), std::numeric_limits<int64_t>::min());
}

TEST(Cbor, SimpleValuesDecode) {
  auto f = cbor::decode(hex({0xF4}));
  ASSERT_OK(f);
  EXPECT_TRUE(f->is_bool());
  EXPECT_FALSE(f->as_bool());
  auto t = cbor::decode(hex({0xF5}));
  ASSERT_OK(t);
  EXPECT_TRUE(t->as_bool());
  auto null = cbor::decode(hex({0xF6}));
  ASSERT_OK(null);
  EXPECT_EQ(null->number, 22u);
  auto two_byte = cbor::decode(hex({0xF8, 0xFF}));  // simple(255)
  ASSERT_OK(two_byte);
  EXPECT_EQ(two_byte->number, 255u);
}

TEST(Cbor, IndefiniteByteStringConcatenatesChunks) {
  auto it = cbor::decode(hex({0x5F,                    // indefinite byte string
                              0x42, 0x01, 0x02,        //   chunk bytes(2)
                              0x43, 0x03, 0x04, 0x05,  //   chunk bytes(3)
                              0xFF}));                 // break
  ASSERT_OK(it);
  EXPECT_EQ(it->kind, cbor::Kind::bytes);
  EXPECT_EQ(it->string, hex({0x01, 0x02, 0x03, 0x04, 0x05}));
}

TEST(Cbor, IndefiniteTextStringConcatenatesChunks) {
  auto it = cbor::decode(hex({0x7F, 0x65}) + "strea" + hex({0x64}) + "ming" + hex({0xFF}));
  ASSERT_OK(it);
  EXPECT_EQ(it->kind, cbor::Kind::text);
  EXPECT_EQ(it->string, "streaming");
}

TEST(Cbor, IndefiniteMapAndArray) {
  // {_ "a": 1, "b": [_ 2, 3]}
  auto it = cbor::decode(hex({0xBF, 0x61, 'a', 0x01, 0x61, 'b', 0x9F, 0x02, 0x03, 0xFF, 0xFF}));
  ASSERT_OK(it);
  ASSERT_EQ(it->kind, cbor::Kind::map);
  ASSERT_EQ(it->items.size(), 4u);
  EXPECT_EQ(it->items[0].string, "a");
  EXPECT_EQ(it->items[1].number, 1u);
  ASSERT_EQ(it->items[3].kind, cbor::Kind::array);
  EXPECT_EQ(it->items[3].items.size(), 2u);
}

TEST(Cbor, TagWrapsItem) {
  auto it = cbor::decode(hex({0xC1, 0x1A, 0x51, 0x4B, 0x67, 0xB0}));  // 1(1363896240)
  ASSERT_OK(it);
  EXPECT_EQ(it->kind, cbor::Kind::tag);
  EXPECT_EQ(it->number, 1u);
  ASSERT_EQ(it->items.size(), 1u);
  EXPECT_EQ(it->items[0].number, 1363896240u);
}

TEST(Cbor, HalfConversionIsExactOrNothing) {
  EXPECT_EQ(cbor::to_half(2049.0), std::nullopt);   // needs 12 significant bits
  EXPECT_EQ(cbor::to_half(65520.0), std::nullopt);  // above the largest half
  EXPECT_EQ(cbor::to_half(1e-8), std::nullopt);     // below the smallest subnormal
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if (((h >> 10) & 0x1F) == 0x1F && (h & 0x3FF) != 0) continue;  // NaNs
    const double d = cbor::from_half(static_cast<uint16_t>(h));
    auto back = cbor::to_half(d);
    ASSERT_TRUE(back.has_value()) << h;
    EXPECT_EQ(*back, h);
  }
}

// ---- malformed input ----

TEST(CborMalformed, Empty) {
  EXPECT_ERROR(cbor::decode(""), "cbor_truncated");
}

TEST(CborMalformed, TruncatedArgument) {
  EXPECT_ERROR(cbor::decode(hex({0x19, 0x01})), "cbor_truncated");
}

TEST(CborMalformed, StringLongerThanData) {
  EXPECT_ERROR(cbor::decode(hex({0x63, 'a', 'b'})), "cbor_truncated");
}

TEST(CborMalformed, ArrayCountBeyondData) {
  EXPECT_ERROR(cbor::decode(hex({0x9B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01})),
               "cbor_truncated");
}

TEST(CborMalformed, MissingBreak) {
  EXPECT_ERROR(cbor::decode(hex({0x9F, 0x01})), "cbor_truncated");
}

TEST(CborMalformed, ReservedAdditionalInformation) {
  EXPECT_ERROR(cbor::decode(hex({0x1C})), "cbor_reserved_info");
}

TEST(CborMalformed, ReservedAdditionalInformationMajorSeven) {
  EXPECT_ERROR(cbor::decode(hex({0xFC})), "cbor_reserved_info");
}

TEST(CborMalformed, BreakOutsideIndefinite) {
  EXPECT_ERROR(cbor::decode(hex({0xFF})), "cbor_bad_indefinite");
}

TEST(CborMalformed, IndefiniteInteger) {
  EXPECT_ERROR(cbor::decode(hex({0x1F})), "cbor_bad_indefinite");
}

TEST(CborMalformed, IndefiniteStringWithChunkOfOtherType) {
  EXPECT_ERROR(cbor::decode(hex({0x5F, 0x61, 'a', 0xFF})), "cbor_bad_indefinite");
}

TEST(CborMalformed, IndefiniteMapWithKeyAndNoValue) {
  EXPECT_ERROR(cbor::decode(hex({0xBF, 0x01, 0xFF})), "cbor_bad_indefinite");
}

TEST(CborMalformed, TwoByteSimpleBelow32) {
  EXPECT_ERROR(cbor::decode(hex({0xF8, 0x14})), "cbor_bad_simple");
}

TEST(CborMalformed, TextNotUtf8) {
  EXPECT_ERROR(cbor::decode(hex({0x62, 0xC3, 0x28})), "cbor_invalid_utf8");
}

TEST(CborMalformed, NestedTooDeep) {
  EXPECT_ERROR(cbor::decode(std::string(cbor::kMaxDepth + 2, '\x81') + hex({0x00})),
               "cbor_too_deep");
}

TEST(CborMalformed, TrailingBytes) {
  EXPECT_ERROR(cbor::decode(hex({0x00, 0x00})), "cbor_trailing_bytes");
}

}  // namespace
}  // namespace trellis::lwm2m::test
