// SenML CBOR, content format 112 (RFC 8428, 6; LwM2M 1.1 Core, 7.4.6). The
// specification's diagnostic-notation examples written out byte by byte.
#include "adapters/lwm2m/content/senml_cbor.hpp"

#include "test_support.hpp"

namespace trellis::lwm2m::test {
namespace {

// Read /3/0: [{-2: "/3/0/", 0: "0", 3: "Open Mobile Alliance"}, {0: "1", 3: ...}, ...]
std::string device_senml_cbor() {
  return hex({0x90}) +                                   // array of 16 records
         hex({0xA3}) +                                   // map of 3
         hex({0x21, 0x65}) + "/3/0/" +                   //   -2 (bn): text(5)
         hex({0x00, 0x61}) + "0" +                       //   0 (n): text(1)
         hex({0x03, 0x74}) + "Open Mobile Alliance" +    //   3 (vs): text(20)
         hex({0xA2}) +                                   // map of 2
         hex({0x00, 0x61}) + "1" +                       //   n "1"
         hex({0x03, 0x76}) + "Lightweight M2M Client" +  //   vs text(22)
         hex({0xA2, 0x00, 0x61}) + "2" +                 // map of 2, n "2"
         hex({0x03, 0x69}) + "345000123" +               //   vs text(9)
         hex({0xA2, 0x00, 0x61}) + "3" +                 // map of 2, n "3"
         hex({0x03, 0x63}) + "1.0" +                     //   vs text(3)
         hex({0xA2, 0x00, 0x63}) + "6/0" +               // map of 2, n "6/0"
         hex({0x02, 0x01}) +                             //   2 (v): 1
         hex({0xA2, 0x00, 0x63}) + "6/1" +               // map of 2, n "6/1"
         hex({0x02, 0x05}) +                             //   v: 5
         hex({0xA2, 0x00, 0x63}) + "7/0" +               // map of 2, n "7/0"
         hex({0x02, 0x19, 0x0E, 0xD8}) +                 //   v: uint16 3800
         hex({0xA2, 0x00, 0x63}) + "7/1" +               // map of 2, n "7/1"
         hex({0x02, 0x19, 0x13, 0x88}) +                 //   v: uint16 5000
         hex({0xA2, 0x00, 0x63}) + "8/0" +               // map of 2, n "8/0"
         hex({0x02, 0x18, 0x7D}) +                       //   v: uint8 125
         hex({0xA2, 0x00, 0x63}) + "8/1" +               // map of 2, n "8/1"
         hex({0x02, 0x19, 0x03, 0x84}) +                 //   v: uint16 900
         hex({0xA2, 0x00, 0x61}) + "9" +                 // map of 2, n "9"
         hex({0x02, 0x18, 0x64}) +                       //   v: 100
         hex({0xA2, 0x00, 0x62}) + "10" +                // map of 2, n "10"
         hex({0x02, 0x0F}) +                             //   v: 15
         hex({0xA2, 0x00, 0x64}) + "11/0" +              // map of 2, n "11/0"
         hex({0x02, 0x00}) +                             //   v: 0
         hex({0xA2, 0x00, 0x62}) + "13" +                // map of 2, n "13"
         hex({0x02, 0x1A, 0x51, 0x82, 0x42, 0x8F}) +     //   v: uint32 1367491215
         hex({0xA2, 0x00, 0x62}) + "14" +                // map of 2, n "14"
         hex({0x03, 0x66}) + "+02:00" +                  //   vs text(6)
         hex({0xA2, 0x00, 0x62}) + "16" +                // map of 2, n "16"
         hex({0x03, 0x61}) + "U";                        //   vs text(1)
}

TEST(SenmlCbor, DeviceInstanceDecodes) {
  auto records = decode_senml_cbor(device_senml_cbor(), path("/3/0"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, device_records());
}

TEST(SenmlCbor, DeviceInstanceEncodesByteExact) {
  auto bytes = encode_senml_cbor(device_records(), path("/3/0"), spec_lookup());
  ASSERT_OK(bytes);
  EXPECT_EQ(*bytes, device_senml_cbor());
}

TEST(SenmlCbor, BaseTimeAndTimeAreAdded) {
  // [{-2: "/72/", -3: 25462634, 0: "1/2", 2: 22.4, 6: -5}, {0: "1/2", 2: 22.9, 6: -30}, ...]
  const std::string cbor =
      hex({0x83}) +                                                        // array of 3
      hex({0xA5}) +                                                        // map of 5
      hex({0x21, 0x64}) + "/72/" +                                         //   bn text(4)
      hex({0x22, 0x1A, 0x01, 0x84, 0x87, 0x6A}) +                          //   -3 (bt): 25462634
      hex({0x00, 0x63}) + "1/2" +                                          //   n "1/2"
      hex({0x02, 0xFB, 0x40, 0x36, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66}) +  // v: double 22.4
      hex({0x06, 0x24}) +                                                  //   6 (t): -5
      hex({0xA3, 0x00, 0x63}) + "1/2" +                                    // map of 3, n "1/2"
      hex({0x02, 0xFB, 0x40, 0x36, 0xE6, 0x66, 0x66, 0x66, 0x66, 0x66}) +  // v: 22.9
      hex({0x06, 0x38, 0x1D}) +                                            //   t: -30
      hex({0xA3, 0x00, 0x63}) + "1/2" +                                    // map of 3, n "1/2"
      hex({0x02, 0xFB, 0x40, 0x38, 0x19, 0x99, 0x99, 0x99, 0x99, 0x9A}) +  // v: 24.1
      hex({0x06, 0x38, 0x31});                                             //   t: -50
  auto records = decode_senml_cbor(cbor, path("/72"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, (std::vector<ResourceRecord>{rec_at("/72/1/2", 22.4, 25462629),
                                                   rec_at("/72/1/2", 22.9, 25462604),
                                                   rec_at("/72/1/2", 24.1, 25462584)}));
}

TEST(SenmlCbor, TimeAndFloatEncode) {
  auto bytes = encode_senml_cbor({rec_at("/72/1/2", 22.4, -5)}, path("/72"), spec_lookup());
  ASSERT_OK(bytes);
  EXPECT_EQ(*bytes, hex({0x81, 0xA4}) +               // array of 1, map of 4
                        hex({0x21, 0x64}) + "/72/" +  //   bn
                        hex({0x00, 0x63}) + "1/2" +   //   n
                        hex({0x02, 0xFB, 0x40, 0x36, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66}) +  // v
                        hex({0x06, 0x24}));  //   t: -5
}

TEST(SenmlCbor, ObjectLinksWithTextLabel) {
  // [{-2: "/", 0: "65/0/0/0", "vlo": "66:0"}, {0: "65/0/0/1", "vlo": "66:1"}]
  const std::string cbor = hex({0x82}) +                     // array of 2
                           hex({0xA3}) +                     // map of 3
                           hex({0x21, 0x61}) + "/" +         //   bn "/"
                           hex({0x00, 0x68}) + "65/0/0/0" +  //   n text(8)
                           hex({0x63}) + "vlo" +             //   text label "vlo"
                           hex({0x64}) + "66:0" +            //   text(4)
                           hex({0xA2}) +                     // map of 2
                           hex({0x00, 0x68}) + "65/0/0/1" +  //   n
                           hex({0x63}) + "vlo" +             //   "vlo"
                           hex({0x64}) + "66:1";             //   "66:1"
  auto records = decode_senml_cbor(cbor, spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, (std::vector<ResourceRecord>{rec("/65/0/0/0", ObjLnk{66, 0}),
                                                   rec("/65/0/0/1", ObjLnk{66, 1})}));
  auto bytes = encode_senml_cbor(*records, path("/65/0/0"), spec_lookup());
  ASSERT_OK(bytes);
  EXPECT_EQ(*bytes, hex({0x82, 0xA3}) +                               // array of 2, map of 3
                        hex({0x21, 0x68}) + "/65/0/0/" +              //   bn
                        hex({0x00, 0x61}) + "0" +                     //   n "0"
                        hex({0x63}) + "vlo" + hex({0x64}) + "66:0" +  // vlo
                        hex({0xA2, 0x00, 0x61}) + "1" +               // map of 2, n "1"
                        hex({0x63}) + "vlo" + hex({0x64}) + "66:1");  //   vlo
}

TEST(SenmlCbor, SingleResourceBothDirections) {
  // [{-2: "/3/0/0", 3: "Open Mobile Alliance"}]
  const std::string cbor = hex({0x81, 0xA2}) +                          // array of 1, map of 2
                           hex({0x21, 0x66}) + "/3/0/0" +               //   bn text(6)
                           hex({0x03, 0x74}) + "Open Mobile Alliance";  //   vs text(20)
  const std::vector<ResourceRecord> expected = {rec("/3/0/0", std::string("Open Mobile Alliance"))};
  auto records = decode_senml_cbor(cbor, path("/3/0/0"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, expected);
  auto bytes = encode_senml_cbor(expected, path("/3/0/0"), spec_lookup());
  ASSERT_OK(bytes);
  EXPECT_EQ(*bytes, cbor);
}

TEST(SenmlCbor, CompositeRequestPaths) {
  // [{0: "/3/0/0"}, {0: "/3/0/9"}, {0: "/1/0/1"}]
  auto bytes = encode_senml_cbor_paths({path("/3/0/0"), path("/3/0/9"), path("/1/0/1")});
  ASSERT_OK(bytes);
  EXPECT_EQ(*bytes, hex({0x83}) +                             // array of 3
                        hex({0xA1, 0x00, 0x66}) + "/3/0/0" +  // map of 1, n text(6)
                        hex({0xA1, 0x00, 0x66}) + "/3/0/9" +  // map of 1, n
                        hex({0xA1, 0x00, 0x66}) + "/1/0/1");  // map of 1, n
}

TEST(SenmlCbor, CompositeResponseBothDirections) {
  // [{0: "/3/0/0", 3: "Open Mobile Alliance"}, {0: "/3/0/9", 2: 95}, {0: "/1/0/1", 2: 86400}]
  const std::string cbor = hex({0x83}) +                                 // array of 3
                           hex({0xA2, 0x00, 0x66}) + "/3/0/0" +          // map of 2, n
                           hex({0x03, 0x74}) + "Open Mobile Alliance" +  //   vs
                           hex({0xA2, 0x00, 0x66}) + "/3/0/9" +          // map of 2, n
                           hex({0x02, 0x18, 0x5F}) +                     //   v: 95
                           hex({0xA2, 0x00, 0x66}) + "/1/0/1" +          // map of 2, n
                           hex({0x02, 0x1A, 0x00, 0x01, 0x51, 0x80});    //   v: 86400
  const std::vector<ResourceRecord> expected = {rec("/3/0/0", std::string("Open Mobile Alliance")),
                                                rec("/3/0/9", int64_t{95}),
                                                rec("/1/0/1", int64_t{86400})};
  auto records = decode_senml_cbor(cbor, spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, expected);
  auto bytes = encode_senml_cbor(expected, spec_lookup());
  ASSERT_OK(bytes);
  EXPECT_EQ(*bytes, cbor);
}

TEST(SenmlCbor, BooleansFromWriteCompositeBothDirections) {
  // [{0: "/3311/0/5850", 4: false}, {0: "/3311/1/5850", 4: false}, {0: "/3311/2/5851", 2: 20}]
  const std::string cbor = hex({0x83}) +                               // array of 3
                           hex({0xA2, 0x00, 0x6C}) + "/3311/0/5850" +  // map of 2, n text(12)
                           hex({0x04, 0xF4}) +                         //   4 (vb): false
                           hex({0xA2, 0x00, 0x6C}) + "/3311/1/5850" +  // map of 2, n
                           hex({0x04, 0xF4}) +                         //   vb: false
                           hex({0xA2, 0x00, 0x6C}) + "/3311/2/5851" +  // map of 2, n
                           hex({0x02, 0x14});                          //   v: 20
  const std::vector<ResourceRecord> expected = {
      rec("/3311/0/5850", false), rec("/3311/1/5850", false), rec("/3311/2/5851", int64_t{20})};
  auto records = decode_senml_cbor(cbor, spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, expected);
  auto bytes = encode_senml_cbor(expected, spec_lookup());
  ASSERT_OK(bytes);
  EXPECT_EQ(*bytes, cbor);
}

TEST(SenmlCbor, DataValueIsByteString) {
  const std::string cbor = hex({0x81, 0xA2}) +             // array of 1, map of 2
                           hex({0x21, 0x66}) + "/9/0/5" +  //   bn
                           hex({0x08, 0x42, 0xFB, 0xFF});  //   8 (vd): bytes(2)
  const std::vector<ResourceRecord> expected = {rec("/9/0/5", bytes_of({0xFB, 0xFF}))};
  auto records = decode_senml_cbor(cbor, path("/9/0/5"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, expected);
  auto bytes = encode_senml_cbor(expected, path("/9/0/5"), spec_lookup());
  ASSERT_OK(bytes);
  EXPECT_EQ(*bytes, cbor);
}

TEST(SenmlCbor, FloatsUseShortestExactWidth) {
  auto bytes = encode_senml_cbor({rec("/9/0/3", 1.5)}, path("/9/0/3"), spec_lookup());
  ASSERT_OK(bytes);
  EXPECT_EQ(*bytes, hex({0x81, 0xA2}) + hex({0x21, 0x66}) + "/9/0/3" +  // bn
                        hex({0x02, 0xF9, 0x3E, 0x00}));                 // v: half 1.5
}

TEST(SenmlCbor, IndefiniteLengthPackDecodes) {
  const std::string cbor = hex({0x9F}) +                   // indefinite array
                           hex({0xBF}) +                   //   indefinite map
                           hex({0x00, 0x66}) + "/3/0/9" +  //     n
                           hex({0x02, 0x18, 0x5F}) +       //     v: 95
                           hex({0xFF}) +                   //   break
                           hex({0xFF});                    // break
  auto records = decode_senml_cbor(cbor, path("/3/0"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, (std::vector<ResourceRecord>{rec("/3/0/9", int64_t{95})}));
}

// ---- malformed input ----

TEST(SenmlCborMalformed, BadCbor) {
  EXPECT_ERROR(decode_senml_cbor(hex({0x81, 0xA1, 0x00}), path("/3/0"), spec_lookup()),
               "cbor_truncated");
}

TEST(SenmlCborMalformed, NotAnArray) {
  EXPECT_ERROR(decode_senml_cbor(hex({0xA0}), path("/3/0"), spec_lookup()), "senml_not_array");
}

TEST(SenmlCborMalformed, RecordNotAMap) {
  EXPECT_ERROR(decode_senml_cbor(hex({0x81, 0x01}), path("/3/0"), spec_lookup()),
               "senml_bad_record");
}

TEST(SenmlCborMalformed, LabelNeitherIntegerNorText) {
  EXPECT_ERROR(decode_senml_cbor(hex({0x81, 0xA1, 0x40, 0x01}), path("/3/0"), spec_lookup()),
               "senml_bad_record");
}

TEST(SenmlCborMalformed, DuplicateLabel) {
  const std::string cbor = hex({0x81, 0xA3}) + hex({0x00, 0x66}) + "/3/0/9" +  // n
                           hex({0x02, 0x01}) +                                 // v: 1
                           hex({0x02, 0x02});                                  // v again
  EXPECT_ERROR(decode_senml_cbor(cbor, path("/3/0"), spec_lookup()), "senml_duplicate_label");
}

TEST(SenmlCborMalformed, NameNotText) {
  EXPECT_ERROR(
      decode_senml_cbor(hex({0x81, 0xA2, 0x00, 0x01, 0x02, 0x01}), path("/3/0"), spec_lookup()),
      "senml_bad_field");
}

TEST(SenmlCborMalformed, DataValueNotByteString) {
  const std::string cbor = hex({0x81, 0xA2}) + hex({0x00, 0x66}) + "/9/0/5" +  // n
                           hex({0x08, 0x61}) + "A";                            // vd as text
  EXPECT_ERROR(decode_senml_cbor(cbor, path("/9/0"), spec_lookup()), "senml_bad_field");
}

TEST(SenmlCborMalformed, TwoValuesInOneRecord) {
  const std::string cbor = hex({0x81, 0xA3}) + hex({0x00, 0x66}) + "/3/0/9" +  // n
                           hex({0x02, 0x01}) +                                 // v
                           hex({0x04, 0xF5});                                  // vb
  EXPECT_ERROR(decode_senml_cbor(cbor, path("/3/0"), spec_lookup()), "senml_multiple_values");
}

TEST(SenmlCborMalformed, NegativeIntegerOutOfRange) {
  const std::string cbor = hex({0x81, 0xA2}) + hex({0x00, 0x66}) + "/3/0/9" +  // n
                           hex({0x02, 0x3B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF});
  EXPECT_ERROR(decode_senml_cbor(cbor, path("/3/0"), spec_lookup()), "cbor_int_range");
}

TEST(SenmlCborMalformed, TrailingBytes) {
  EXPECT_ERROR(decode_senml_cbor(hex({0x80, 0x00}), path("/3/0"), spec_lookup()),
               "cbor_trailing_bytes");
}

TEST(SenmlCborMalformed, SumNotSupported) {
  const std::string cbor = hex({0x81, 0xA2}) + hex({0x00, 0x66}) + "/3/0/9" +  // n
                           hex({0x05, 0x01});                                  // 5 (s)
  EXPECT_ERROR(decode_senml_cbor(cbor, path("/3/0"), spec_lookup()), "senml_must_understand");
}

TEST(SenmlCborMalformed, RecordWithoutValue) {
  const std::string cbor = hex({0x81, 0xA1}) + hex({0x00, 0x66}) + "/3/0/9";  // n only
  EXPECT_ERROR(decode_senml_cbor(cbor, path("/3/0"), spec_lookup()), "missing_value");
}

TEST(SenmlCborEncode, StringNotUtf8) {
  EXPECT_ERROR(encode_senml_cbor({rec("/9/0/0", std::string("\xFF"))}, path("/9/0"), spec_lookup()),
               "invalid_utf8");
}

}  // namespace
}  // namespace trellis::lwm2m::test
