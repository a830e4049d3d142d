// Content-format numbers and the decode / encode dispatcher.
#include "adapters/lwm2m/content/content_format.hpp"

#include "test_support.hpp"

namespace trellis::lwm2m::test {
namespace {

TEST(ContentFormat, NumbersAndAliases) {
  EXPECT_EQ(content_format_from_number(0), ContentFormat::text_plain);
  EXPECT_EQ(content_format_from_number(40), ContentFormat::link_format);
  EXPECT_EQ(content_format_from_number(42), ContentFormat::opaque);
  EXPECT_EQ(content_format_from_number(60), ContentFormat::cbor);
  EXPECT_EQ(content_format_from_number(110), ContentFormat::senml_json);
  EXPECT_EQ(content_format_from_number(112), ContentFormat::senml_cbor);
  EXPECT_EQ(content_format_from_number(11542), ContentFormat::tlv);
  EXPECT_EQ(content_format_from_number(11543), ContentFormat::lwm2m_json);
  EXPECT_EQ(content_format_from_number(1542), ContentFormat::tlv);         // LwM2M 1.0 draft TLV
  EXPECT_EQ(content_format_from_number(1543), ContentFormat::lwm2m_json);  // and JSON
  EXPECT_EQ(content_format_from_number(50), std::nullopt);
  EXPECT_EQ(static_cast<uint16_t>(ContentFormat::tlv), 11542);
  EXPECT_EQ(content_format_name(ContentFormat::senml_cbor), "application/senml+cbor");
}

TEST(ContentFormat, DispatchesEveryValueFormat) {
  const std::vector<ResourceRecord> one = {rec("/3/0/9", int64_t{95})};
  for (const auto f : {ContentFormat::text_plain, ContentFormat::cbor, ContentFormat::senml_json,
                       ContentFormat::senml_cbor, ContentFormat::tlv, ContentFormat::lwm2m_json}) {
    auto bytes = encode(f, one, path("/3/0/9"), spec_lookup());
    ASSERT_OK(bytes);
    auto records = decode(f, *bytes, path("/3/0/9"), spec_lookup());
    ASSERT_OK(records);
    EXPECT_EQ(*records, one) << content_format_name(f);
  }
  auto opaque = encode(ContentFormat::opaque, {rec("/9/0/5", bytes_of({1, 2}))}, path("/9/0/5"),
                       spec_lookup());
  ASSERT_OK(opaque);
  EXPECT_EQ(*opaque, hex({1, 2}));
}

TEST(ContentFormat, TextFormatsMatchDirectCalls) {
  auto via = encode(ContentFormat::tlv, device_records(), path("/3/0"), spec_lookup());
  ASSERT_OK(via);
  auto back = decode(ContentFormat::tlv, *via, path("/3/0"), spec_lookup());
  ASSERT_OK(back);
  EXPECT_EQ(*back, device_records());
}

TEST(ContentFormat, RootOnlyForNameCarryingFormats) {
  const std::vector<ResourceRecord> records = {rec("/3/0/9", int64_t{95}),
                                               rec("/1/0/1", int64_t{86400})};
  for (const auto f :
       {ContentFormat::senml_json, ContentFormat::senml_cbor, ContentFormat::lwm2m_json}) {
    auto bytes = encode(f, records, std::nullopt, spec_lookup());
    ASSERT_OK(bytes);
    auto back = decode(f, *bytes, std::nullopt, spec_lookup());
    ASSERT_OK(back);
    EXPECT_EQ(*back, records);
  }
  EXPECT_ERROR(decode(ContentFormat::tlv, "", std::nullopt, spec_lookup()), "unsupported_format");
  EXPECT_ERROR(encode(ContentFormat::text_plain, records, std::nullopt, spec_lookup()),
               "unsupported_format");
}

TEST(ContentFormat, LinkFormatCarriesNoValues) {
  EXPECT_ERROR(decode(ContentFormat::link_format, "</1>", path("/1"), spec_lookup()),
               "unsupported_format");
}

}  // namespace
}  // namespace trellis::lwm2m::test
