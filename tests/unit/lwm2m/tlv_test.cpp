// OMA TLV (LwM2M 1.1 Core, 7.4.3). Vectors from the specification's examples
// are checked in both directions: decode to records, encode back byte for byte.
#include "adapters/lwm2m/content/tlv.hpp"

#include <limits>

#include "test_support.hpp"

namespace trellis::lwm2m::test {
namespace {

// 7.4.3.2 example 1: Read /3/0, the Device object's single instance.
std::string device_instance_tlv() {
  return hex({0xC8, 0x00, 0x14}) +   // Resource, 8-bit id 0, 8-bit length 20: Manufacturer
         "Open Mobile Alliance" +    //   value
         hex({0xC8, 0x01, 0x16}) +   // Resource 1, length 22: Model Number
         "Lightweight M2M Client" +  //   value
         hex({0xC8, 0x02, 0x09}) +   // Resource 2, length 9: Serial Number
         "345000123" +               //   value
         hex({0xC3, 0x03}) +         // Resource 3, length 3 in the type byte: Firmware Version
         "1.0" +                     //   value
         hex({0x86, 0x06}) +         // Multiple Resource 6, length 6: Available Power Sources
         hex({0x41, 0x00, 0x01}) +   //   Resource Instance 0, length 1: 1 (internal battery)
         hex({0x41, 0x01, 0x05}) +   //   Resource Instance 1, length 1: 5 (USB)
         hex({0x88, 0x07, 0x08}) +   // Multiple Resource 7, 8-bit length 8: Power Source Voltage
         hex({0x42, 0x00, 0x0E, 0xD8}) +  //   Instance 0, length 2: 3800 mV
         hex({0x42, 0x01, 0x13, 0x88}) +  //   Instance 1, length 2: 5000 mV
         hex({0x87, 0x08}) +              // Multiple Resource 8, length 7: Power Source Current
         hex({0x41, 0x00, 0x7D}) +        //   Instance 0, length 1: 125 mA
         hex({0x42, 0x01, 0x03, 0x84}) +  //   Instance 1, length 2: 900 mA
         hex({0xC1, 0x09, 0x64}) +        // Resource 9, length 1: Battery Level 100
         hex({0xC1, 0x0A, 0x0F}) +        // Resource 10, length 1: Memory Free 15
         hex({0x83, 0x0B}) +              // Multiple Resource 11, length 3: Error Code
         hex({0x41, 0x00, 0x00}) +        //   Instance 0: 0 (no error)
         hex({0xC4, 0x0D, 0x51, 0x82, 0x42, 0x8F}) +  // Resource 13, length 4: Current Time
         hex({0xC6, 0x0E}) +                          // Resource 14, length 6: UTC Offset
         "+02:00" +                                   //   value
         hex({0xC1, 0x10}) +                          // Resource 16, length 1: Binding
         "U";                                         //   value
}

TEST(Tlv, DeviceSingleInstanceDecodes) {
  auto records = decode_tlv(device_instance_tlv(), path("/3/0"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, device_records());
}

TEST(Tlv, DeviceSingleInstanceEncodesByteExact) {
  auto bytes = encode_tlv(device_records(), path("/3/0"), spec_lookup());
  ASSERT_OK(bytes);
  EXPECT_EQ(*bytes, device_instance_tlv());
}

TEST(Tlv, DeviceInstanceWrappedInObjectInstanceDecodes) {
  const std::string body = device_instance_tlv();
  const std::string wrapped = hex({0x08, 0x00, 0x79}) +  // Object Instance 0, length 121
                              body;
  ASSERT_EQ(body.size(), 0x79u);
  auto records = decode_tlv(wrapped, path("/3/0"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, device_records());
}

TEST(Tlv, DeviceObjectReadWrapsInstanceByteExact) {
  const std::string wrapped = hex({0x08, 0x00, 0x79}) +  // Object Instance 0, length 121
                              device_instance_tlv();
  auto records = decode_tlv(wrapped, path("/3"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, device_records());
  auto bytes = encode_tlv(device_records(), path("/3"), spec_lookup());
  ASSERT_OK(bytes);
  EXPECT_EQ(*bytes, wrapped);
}

// 7.4.3.2 example 2: Read /2, two Access Control object instances.
std::string access_control_tlv() {
  return hex({0x08, 0x00, 0x0E}) +        // Object Instance 0, length 14
         hex({0xC1, 0x00, 0x01}) +        //   Resource 0 Object ID: 1
         hex({0xC1, 0x01, 0x00}) +        //   Resource 1 Object Instance ID: 0
         hex({0x83, 0x02}) +              //   Multiple Resource 2 ACL, length 3
         hex({0x41, 0x7F, 0x07}) +        //     Instance 127: 7
         hex({0xC1, 0x03, 0x7F}) +        //   Resource 3 Access Control Owner: 127
         hex({0x08, 0x02, 0x12}) +        // Object Instance 2, length 18
         hex({0xC1, 0x00, 0x03}) +        //   Resource 0 Object ID: 3
         hex({0xC1, 0x01, 0x00}) +        //   Resource 1 Object Instance ID: 0
         hex({0x87, 0x02}) +              //   Multiple Resource 2 ACL, length 7
         hex({0x41, 0x7F, 0x07}) +        //     Instance 127: 7
         hex({0x61, 0x01, 0x36, 0x01}) +  //     Instance 310 (16-bit id): 1
         hex({0xC1, 0x03, 0x7F});         //   Resource 3 Access Control Owner: 127
}

std::vector<ResourceRecord> access_control_records() {
  return {
      rec("/2/0/0", int64_t{1}),     rec("/2/0/1", int64_t{0}),     rec("/2/0/2/127", int64_t{7}),
      rec("/2/0/3", int64_t{127}),   rec("/2/2/0", int64_t{3}),     rec("/2/2/1", int64_t{0}),
      rec("/2/2/2/127", int64_t{7}), rec("/2/2/2/310", int64_t{1}), rec("/2/2/3", int64_t{127}),
  };
}

TEST(Tlv, AccessControlMultipleInstancesDecode) {
  auto records = decode_tlv(access_control_tlv(), path("/2"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, access_control_records());
}

TEST(Tlv, AccessControlMultipleInstancesEncodeByteExact) {
  auto bytes = encode_tlv(access_control_records(), path("/2"), spec_lookup());
  ASSERT_OK(bytes);
  EXPECT_EQ(*bytes, access_control_tlv());
}

// 7.4.3.2 example 3: Read /65/0, an instance holding object links.
std::string object_link_tlv() {
  return hex({0x88, 0x00, 0x0C}) +                    // Multiple Resource 0, length 12
         hex({0x44, 0x00, 0x00, 0x42, 0x00, 0x00}) +  //   Instance 0, length 4: Objlnk 66:0
         hex({0x44, 0x01, 0x00, 0x42, 0x00, 0x01}) +  //   Instance 1, length 4: Objlnk 66:1
         hex({0xC8, 0x01, 0x0D}) +                    // Resource 1, length 13: String
         "8613800755500" +                            //   value
         hex({0xC4, 0x02, 0x12, 0x34, 0x56, 0x78});   // Resource 2, length 4: Integer
}

std::vector<ResourceRecord> object_link_records() {
  return {
      rec("/65/0/0/0", ObjLnk{66, 0}),
      rec("/65/0/0/1", ObjLnk{66, 1}),
      rec("/65/0/1", std::string("8613800755500")),
      rec("/65/0/2", int64_t{0x12345678}),
  };
}

TEST(Tlv, ObjectLinkInstanceDecodes) {
  auto records = decode_tlv(object_link_tlv(), path("/65/0"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, object_link_records());
}

TEST(Tlv, ObjectLinkInstanceEncodesByteExact) {
  auto bytes = encode_tlv(object_link_records(), path("/65/0"), spec_lookup());
  ASSERT_OK(bytes);
  EXPECT_EQ(*bytes, object_link_tlv());
}

// Read /3/0/7: the Multiple Resource TLV of the example on its own.
std::string power_voltage_tlv() {
  return hex({0x88, 0x07, 0x08}) +        // Multiple Resource 7, 8-bit length 8
         hex({0x42, 0x00, 0x0E, 0xD8}) +  //   Instance 0: 3800
         hex({0x42, 0x01, 0x13, 0x88});   //   Instance 1: 5000
}

TEST(Tlv, MultipleResourceReadBothDirections) {
  const std::vector<ResourceRecord> expected = {rec("/3/0/7/0", int64_t{3800}),
                                                rec("/3/0/7/1", int64_t{5000})};
  auto records = decode_tlv(power_voltage_tlv(), path("/3/0/7"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, expected);
  auto bytes = encode_tlv(expected, path("/3/0/7"), spec_lookup());
  ASSERT_OK(bytes);
  EXPECT_EQ(*bytes, power_voltage_tlv());
}

TEST(Tlv, BareResourceInstancesUnderResourceDecode) {
  const std::string bare = hex({0x42, 0x00, 0x0E, 0xD8}) +  // Resource Instance 0: 3800
                           hex({0x42, 0x01, 0x13, 0x88});   // Resource Instance 1: 5000
  auto records = decode_tlv(bare, path("/3/0/7"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, (std::vector<ResourceRecord>{rec("/3/0/7/0", int64_t{3800}),
                                                   rec("/3/0/7/1", int64_t{5000})}));
}

TEST(Tlv, SingleResourceReadBothDirections) {
  const std::string tlv = hex({0xC8, 0x00, 0x14}) +  // Resource 0, length 20
                          "Open Mobile Alliance";    //   value
  const std::vector<ResourceRecord> expected = {rec("/3/0/0", std::string("Open Mobile Alliance"))};
  auto records = decode_tlv(tlv, path("/3/0/0"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, expected);
  auto bytes = encode_tlv(expected, path("/3/0/0"), spec_lookup());
  ASSERT_OK(bytes);
  EXPECT_EQ(*bytes, tlv);
}

TEST(Tlv, ResourceInstanceReadBothDirections) {
  const std::string tlv = hex({0x42, 0x01, 0x13, 0x88});  // Resource Instance 1, length 2: 5000
  const std::vector<ResourceRecord> expected = {rec("/3/0/7/1", int64_t{5000})};
  auto records = decode_tlv(tlv, path("/3/0/7/1"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, expected);
  auto bytes = encode_tlv(expected, path("/3/0/7/1"), spec_lookup());
  ASSERT_OK(bytes);
  EXPECT_EQ(*bytes, tlv);
}

TEST(Tlv, SixteenBitIdentifierBothDirections) {
  const std::string tlv = hex({0xE1,        // Resource, 16-bit id, length 1 in the type byte
                               0x16, 0xDA,  //   id 5850
                               0x01});      //   Boolean true
  const std::vector<ResourceRecord> expected = {rec("/3311/0/5850", true)};
  auto records = decode_tlv(tlv, path("/3311/0"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, expected);
  auto bytes = encode_tlv(expected, path("/3311/0"), spec_lookup());
  ASSERT_OK(bytes);
  EXPECT_EQ(*bytes, tlv);
}

TEST(Tlv, SixteenBitLengthBothDirections) {
  const std::string value(300, 'x');
  const std::string tlv = hex({0xD0,         // Resource, 8-bit id, 16-bit length field
                               0x00,         //   id 0
                               0x01, 0x2C})  //   length 300
                          + value;
  const std::vector<ResourceRecord> expected = {rec("/3/0/0", value)};
  auto records = decode_tlv(tlv, path("/3/0"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, expected);
  auto bytes = encode_tlv(expected, path("/3/0"), spec_lookup());
  ASSERT_OK(bytes);
  EXPECT_EQ(*bytes, tlv);
}

TEST(Tlv, TwentyFourBitLengthBothDirections) {
  const std::string value(70000, 'y');
  const std::string tlv = hex({0xD8,               // Resource, 8-bit id, 24-bit length field
                               0x00,               //   id 0
                               0x01, 0x11, 0x70})  //   length 70000
                          + value;
  const std::vector<ResourceRecord> expected = {rec("/3/0/0", value)};
  auto records = decode_tlv(tlv, path("/3/0"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, expected);
  auto bytes = encode_tlv(expected, path("/3/0"), spec_lookup());
  ASSERT_OK(bytes);
  EXPECT_EQ(*bytes, tlv);
}

TEST(Tlv, LengthBitsIgnoredWhenLengthFieldPresent) {
  const std::string tlv = hex({0xCF,    // Resource, 8-bit length field, stray bits 2-0 = 7
                               0x09,    //   id 9
                               0x01,    //   length 1
                               0x64});  //   100
  auto records = decode_tlv(tlv, path("/3/0"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, (std::vector<ResourceRecord>{rec("/3/0/9", int64_t{100})}));
}

struct IntegerCase {
  int64_t value;
  std::string bytes;
};

TEST(Tlv, IntegersUseFewestOfOneTwoFourEightBytes) {
  const std::vector<IntegerCase> cases = {
      {0, hex({0x00})},
      {127, hex({0x7F})},
      {-1, hex({0xFF})},
      {-128, hex({0x80})},
      {128, hex({0x00, 0x80})},
      {-129, hex({0xFF, 0x7F})},
      {32768, hex({0x00, 0x00, 0x80, 0x00})},
      {int64_t{1} << 31, hex({0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00})},
      {std::numeric_limits<int64_t>::min(), hex({0x80, 0, 0, 0, 0, 0, 0, 0})},
      {std::numeric_limits<int64_t>::max(), hex({0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF})},
  };
  for (const auto& c : cases) {
    const int n = static_cast<int>(c.bytes.size());
    const std::string header = n < 8 ? hex({0xC0 | n, 0x01})  // Resource, length in type, id 1
                                     : hex({0xC8, 0x01, n});  // Resource, 8-bit length, id 1
    const std::string tlv = header + c.bytes;                 // value
    const std::vector<ResourceRecord> expected = {rec("/9/0/1", c.value)};
    auto bytes = encode_tlv(expected, path("/9/0"), spec_lookup());
    ASSERT_OK(bytes);
    EXPECT_EQ(*bytes, tlv) << c.value;
    auto records = decode_tlv(tlv, path("/9/0"), spec_lookup());
    ASSERT_OK(records);
    EXPECT_EQ(*records, expected) << c.value;
  }
}

TEST(Tlv, UnsignedIntegerBothDirections) {
  const std::string tlv = hex({0xC8, 0x02, 0x08,                                  // Resource 2, 8
                               0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF});  // 2^64 - 1
  const std::vector<ResourceRecord> expected = {
      rec("/9/0/2", std::numeric_limits<uint64_t>::max())};
  auto records = decode_tlv(tlv, path("/9/0"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, expected);
  auto bytes = encode_tlv(expected, path("/9/0"), spec_lookup());
  ASSERT_OK(bytes);
  EXPECT_EQ(*bytes, tlv);
}

TEST(Tlv, FloatFourBytesWhenExact) {
  const std::string tlv = hex({0xC4, 0x03,                // Resource 3, length 4
                               0x3F, 0xC0, 0x00, 0x00});  //   IEEE 754 single 1.5
  const std::vector<ResourceRecord> expected = {rec("/9/0/3", 1.5)};
  auto records = decode_tlv(tlv, path("/9/0"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, expected);
  auto bytes = encode_tlv(expected, path("/9/0"), spec_lookup());
  ASSERT_OK(bytes);
  EXPECT_EQ(*bytes, tlv);
}

TEST(Tlv, FloatEightBytesOtherwise) {
  const std::string tlv = hex({0xC8, 0x03, 0x08,                                  // Resource 3, 8
                               0x3F, 0xB9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A});  // double 0.1
  const std::vector<ResourceRecord> expected = {rec("/9/0/3", 0.1)};
  auto records = decode_tlv(tlv, path("/9/0"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, expected);
  auto bytes = encode_tlv(expected, path("/9/0"), spec_lookup());
  ASSERT_OK(bytes);
  EXPECT_EQ(*bytes, tlv);
}

TEST(Tlv, BooleanObjlnkTimeAndOpaqueBothDirections) {
  const std::string tlv = hex({0xC1, 0x04, 0x00}) +                    // Resource 4: false
                          hex({0xC4, 0x07, 0x00, 0x42, 0x00, 0x01}) +  // Resource 7: Objlnk 66:1
                          hex({0xC4, 0x06, 0x51, 0x82, 0x42, 0x8F}) +  // Resource 6: Time
                          hex({0xC3, 0x05, 0x00, 0xFF, 0x10});         // Resource 5: Opaque
  const std::vector<ResourceRecord> expected = {
      rec("/9/0/4", false),
      rec("/9/0/7", ObjLnk{66, 1}),
      rec("/9/0/6", Time{1367491215}),
      rec("/9/0/5", bytes_of({0x00, 0xFF, 0x10})),
  };
  auto records = decode_tlv(tlv, path("/9/0"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, expected);
  auto bytes = encode_tlv(expected, path("/9/0"), spec_lookup());
  ASSERT_OK(bytes);
  EXPECT_EQ(*bytes, tlv);
}

TEST(Tlv, UnknownResourceStaysOpaque) {
  const std::string tlv = hex({0xC2, 0x63, 0x01, 0x02});  // Resource 99, length 2
  auto records = decode_tlv(tlv, path("/3/0"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, (std::vector<ResourceRecord>{rec("/3/0/99", bytes_of({0x01, 0x02}))}));
}

TEST(Tlv, EncoderCoercesToModelType) {
  // An Integer written into a Float resource goes out as a float.
  auto bytes = encode_tlv({rec("/9/0/3", int64_t{2})}, path("/9/0"), spec_lookup());
  ASSERT_OK(bytes);
  EXPECT_EQ(*bytes, hex({0xC4, 0x03, 0x40, 0x00, 0x00, 0x00}));  // Resource 3: single 2.0
}

TEST(Tlv, EmptyPayloadIsNoRecords) {
  auto records = decode_tlv("", path("/3/0"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_TRUE(records->empty());
}

// ---- malformed input: one rule per test ----

TEST(TlvMalformed, TruncatedTypeOnly) {
  EXPECT_ERROR(decode_tlv(hex({0xC8}), path("/3/0"), spec_lookup()), "tlv_truncated");
}

TEST(TlvMalformed, TruncatedSixteenBitIdentifier) {
  EXPECT_ERROR(decode_tlv(hex({0xE1, 0x16}), path("/3/0"), spec_lookup()), "tlv_truncated");
}

TEST(TlvMalformed, TruncatedLengthField) {
  EXPECT_ERROR(decode_tlv(hex({0xD0, 0x00, 0x01}), path("/3/0"), spec_lookup()), "tlv_truncated");
}

TEST(TlvMalformed, LengthBeyondBuffer) {
  EXPECT_ERROR(decode_tlv(hex({0xC8, 0x00, 0x14, 'O', 'p'}), path("/3/0"), spec_lookup()),
               "tlv_truncated");
}

TEST(TlvMalformed, ChildLengthBeyondParentValue) {
  const std::string tlv = hex({0x83, 0x0B,        // Multiple Resource 11, length 3
                               0x42, 0x00, 0x00,  //   Instance 0 claims 2 bytes, has 1
                               0x00});            // (outside the parent)
  EXPECT_ERROR(decode_tlv(tlv, path("/3/0"), spec_lookup()), "tlv_truncated");
}

TEST(TlvMalformed, IntegerOfThreeBytes) {
  EXPECT_ERROR(decode_tlv(hex({0xC3, 0x09, 0x00, 0x00, 0x01}), path("/3/0"), spec_lookup()),
               "tlv_bad_length");
}

TEST(TlvMalformed, IntegerOfZeroBytes) {
  EXPECT_ERROR(decode_tlv(hex({0xC0, 0x09}), path("/3/0"), spec_lookup()), "tlv_bad_length");
}

TEST(TlvMalformed, FloatOfTwoBytes) {
  EXPECT_ERROR(decode_tlv(hex({0xC2, 0x03, 0x3F, 0xC0}), path("/9/0"), spec_lookup()),
               "tlv_bad_length");
}

TEST(TlvMalformed, BooleanOfTwoBytes) {
  EXPECT_ERROR(decode_tlv(hex({0xC2, 0x04, 0x00, 0x01}), path("/9/0"), spec_lookup()),
               "tlv_bad_length");
}

TEST(TlvMalformed, BooleanNotZeroOrOne) {
  EXPECT_ERROR(decode_tlv(hex({0xC1, 0x04, 0x02}), path("/9/0"), spec_lookup()), "tlv_bad_boolean");
}

TEST(TlvMalformed, ObjlnkOfThreeBytes) {
  EXPECT_ERROR(decode_tlv(hex({0xC3, 0x07, 0x00, 0x42, 0x00}), path("/9/0"), spec_lookup()),
               "tlv_bad_length");
}

TEST(TlvMalformed, ResourceDirectlyUnderObject) {
  EXPECT_ERROR(decode_tlv(hex({0xC1, 0x09, 0x64}), path("/3"), spec_lookup()), "tlv_structure");
}

TEST(TlvMalformed, ResourceInstanceInsideObjectInstance) {
  const std::string tlv = hex({0x03, 0x00,          // Object Instance 0, length 3
                               0x41, 0x00, 0x01});  //   Resource Instance: wrong level
  EXPECT_ERROR(decode_tlv(tlv, path("/3"), spec_lookup()), "tlv_structure");
}

TEST(TlvMalformed, ObjectInstanceInsideMultipleResource) {
  const std::string tlv = hex({0x83, 0x06,          // Multiple Resource 6, length 3
                               0x01, 0x00, 0x01});  //   Object Instance: wrong level
  EXPECT_ERROR(decode_tlv(tlv, path("/3/0"), spec_lookup()), "tlv_structure");
}

TEST(TlvMalformed, WrapperIdOtherThanRequest) {
  const std::string tlv = hex({0x03, 0x01,          // Object Instance 1 answering /3/0
                               0xC1, 0x09, 0x64});  //   Resource 9
  EXPECT_ERROR(decode_tlv(tlv, path("/3/0"), spec_lookup()), "path_outside_request");
}

TEST(TlvMalformed, ResourceValueForResourceInstanceRequest) {
  EXPECT_ERROR(decode_tlv(hex({0xC2, 0x07, 0x13, 0x88}), path("/3/0/7/1"), spec_lookup()),
               "tlv_structure");
}

TEST(TlvEncode, RecordOutsideBase) {
  EXPECT_ERROR(encode_tlv({rec("/4/0/1", int64_t{1})}, path("/3/0"), spec_lookup()),
               "path_outside_base");
}

TEST(TlvEncode, RecordAboveResourceLevel) {
  std::vector<ResourceRecord> records = {{path("/3/0"), int64_t{1}, {}}};
  EXPECT_ERROR(encode_tlv(records, path("/3"), spec_lookup()), "bad_record_path");
}

TEST(TlvEncode, ValueOfWrongType) {
  EXPECT_ERROR(encode_tlv({rec("/3/0/9", std::string("full"))}, path("/3/0"), spec_lookup()),
               "type_mismatch");
}

}  // namespace
}  // namespace trellis::lwm2m::test
