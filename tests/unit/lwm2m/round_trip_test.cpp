// Every value type through every multi-value format, with and without the
// object model: encode, decode, compare.
#include <cmath>
#include <limits>

#include "adapters/lwm2m/content/content_format.hpp"
#include "test_support.hpp"

namespace trellis::lwm2m::test {
namespace {

std::vector<ResourceRecord> every_type() {
  return {
      rec("/9/0/0", std::string("text \"quoted\" \xE2\x82\xAC")),
      rec("/9/0/1", std::numeric_limits<int64_t>::min()),
      rec("/9/0/1", std::numeric_limits<int64_t>::max()),
      rec("/9/0/1", int64_t{-1}),
      rec("/9/0/2", std::numeric_limits<uint64_t>::max()),
      rec("/9/0/2", uint64_t{0}),
      rec("/9/0/3", 0.1),
      rec("/9/0/3", -2.5e-310),  // subnormal double
      rec("/9/0/3", 1e300),
      rec("/9/0/3", 3.0),
      rec("/9/0/4", true),
      rec("/9/0/4", false),
      rec("/9/0/5", bytes_of({0x00, 0xFF, 0x7F, 0x80})),
      rec("/9/0/5", Bytes{}),
      rec("/9/0/6", Time{-1}),
      rec("/9/0/6", Time{4102444800}),
      rec("/9/0/7", ObjLnk{65535, 65535}),
      rec("/9/0/8", CoreLnk{"</3/0>;ver=1.1,</1/0>"}),
      rec("/9/1/7/3", ObjLnk{3, 0}),
      rec("/9/1/1/65535", int64_t{7}),
  };
}

class RoundTrip : public ::testing::TestWithParam<ContentFormat> {};

TEST_P(RoundTrip, EveryTypeWithModel) {
  const auto records = every_type();
  auto bytes = encode(GetParam(), records, path("/9"), spec_lookup());
  ASSERT_OK(bytes);
  auto back = decode(GetParam(), *bytes, path("/9"), spec_lookup());
  ASSERT_OK(back);
  EXPECT_TRUE(same_records(*back, records));
}

TEST_P(RoundTrip, UnderEachBaseDepth) {
  const std::vector<ResourceRecord> records = {rec("/9/1/1/0", int64_t{1}),
                                               rec("/9/1/1/1", int64_t{-1})};
  for (const char* base : {"/9", "/9/1", "/9/1/1"}) {
    auto bytes = encode(GetParam(), records, path(base), spec_lookup());
    ASSERT_OK(bytes);
    auto back = decode(GetParam(), *bytes, path(base), spec_lookup());
    ASSERT_OK(back);
    EXPECT_EQ(*back, records) << base;
  }
}

TEST_P(RoundTrip, NaNFloat) {
  const std::vector<ResourceRecord> records = {
      rec("/9/0/3", std::numeric_limits<double>::quiet_NaN())};
  if (GetParam() == ContentFormat::senml_json || GetParam() == ContentFormat::lwm2m_json) {
    // JSON has no NaN: the encoder refuses rather than write something else.
    EXPECT_ERROR(encode(GetParam(), records, path("/9/0"), spec_lookup()), "non_finite");
    return;
  }
  auto bytes = encode(GetParam(), records, path("/9/0"), spec_lookup());
  ASSERT_OK(bytes);
  auto back = decode(GetParam(), *bytes, path("/9/0"), spec_lookup());
  ASSERT_OK(back);
  EXPECT_TRUE(same_records(*back, records));
}

INSTANTIATE_TEST_SUITE_P(Formats, RoundTrip,
                         ::testing::Values(ContentFormat::tlv, ContentFormat::lwm2m_json,
                                           ContentFormat::senml_json, ContentFormat::senml_cbor),
                         [](const auto& info) {
                           switch (info.param) {
                             case ContentFormat::tlv:
                               return std::string("tlv");
                             case ContentFormat::lwm2m_json:
                               return std::string("lwm2m_json");
                             case ContentFormat::senml_json:
                               return std::string("senml_json");
                             default:
                               return std::string("senml_cbor");
                           }
                         });

TEST(RoundTripUntyped, SenmlKeepsWireTypesWithoutModel) {
  // Without the model SenML still tells strings, numbers, booleans, data and
  // links apart; Time and Corelnk come back as their wire types.
  const std::vector<ResourceRecord> records = {
      rec("/500/0/0", std::string("s")),
      rec("/500/0/1", int64_t{-5}),
      rec("/500/0/2", std::numeric_limits<uint64_t>::max()),
      rec("/500/0/3", 2.0),
      rec("/500/0/4", true),
      rec("/500/0/5", bytes_of({1, 2, 3})),
      rec("/500/0/7", ObjLnk{1, 2})};
  for (const auto f : {ContentFormat::senml_json, ContentFormat::senml_cbor}) {
    auto bytes = encode(f, records, path("/500/0"), no_lookup());
    ASSERT_OK(bytes);
    auto back = decode(f, *bytes, path("/500/0"), no_lookup());
    ASSERT_OK(back);
    EXPECT_EQ(*back, records) << content_format_name(f);
  }
}

TEST(RoundTripSingle, EveryTypeThroughTextAndCbor) {
  for (const auto& r : every_type()) {
    for (const auto f : {ContentFormat::text_plain, ContentFormat::cbor}) {
      auto bytes = encode(f, {r}, r.path, spec_lookup());
      ASSERT_OK(bytes);
      auto back = decode(f, *bytes, r.path, spec_lookup());
      ASSERT_OK(back);
      EXPECT_TRUE(same_records(*back, {r})) << r.path.to_string() << " " << content_format_name(f);
    }
  }
}

}  // namespace
}  // namespace trellis::lwm2m::test
