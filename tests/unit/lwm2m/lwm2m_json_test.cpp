// OMA LwM2M JSON, content format 11543 (LwM2M 1.1 Core, 7.4.5).
#include "adapters/lwm2m/content/lwm2m_json.hpp"

#include <limits>

#include "test_support.hpp"

namespace trellis::lwm2m::test {
namespace {

// 7.4.5 example: Read /3/0 answered in JSON.
std::string device_json() {
  return std::string("{") + R"("bn":"/3/0/",)" +          // base name: the instance, ending in '/'
         R"("e":[)" +                                     // the entries
         R"({"n":"0","sv":"Open Mobile Alliance"},)" +    // Manufacturer, string value
         R"({"n":"1","sv":"Lightweight M2M Client"},)" +  // Model Number
         R"({"n":"2","sv":"345000123"},)" +               // Serial Number
         R"({"n":"3","sv":"1.0"},)" +                     // Firmware Version
         R"({"n":"6/0","v":1},)" +                        // Available Power Sources [0]
         R"({"n":"6/1","v":5},)" +                        // Available Power Sources [1]
         R"({"n":"7/0","v":3800},)" +                     // Power Source Voltage [0]
         R"({"n":"7/1","v":5000},)" +                     // Power Source Voltage [1]
         R"({"n":"8/0","v":125},)" +                      // Power Source Current [0]
         R"({"n":"8/1","v":900},)" +                      // Power Source Current [1]
         R"({"n":"9","v":100},)" +                        // Battery Level
         R"({"n":"10","v":15},)" +                        // Memory Free
         R"({"n":"11/0","v":0},)" +                       // Error Code [0]
         R"({"n":"13","v":1367491215},)" +                // Current Time, numeric
         R"({"n":"14","sv":"+02:00"},)" +                 // UTC Offset
         R"({"n":"16","sv":"U"})" +                       // Supported Binding
         "]}";
}

TEST(Lwm2mJson, DeviceInstanceDecodes) {
  auto records = decode_lwm2m_json(device_json(), path("/3/0"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, device_records());
}

TEST(Lwm2mJson, DeviceInstanceEncodesByteExact) {
  auto text = encode_lwm2m_json(device_records(), path("/3/0"), spec_lookup());
  ASSERT_OK(text);
  EXPECT_EQ(*text, device_json());
}

TEST(Lwm2mJson, WithoutBaseNameNamesAreRelativeToRequest) {
  // LwM2M 1.0 payloads leave "bn" out.
  const std::string json = R"({"e":[{"n":"0","sv":"Open Mobile Alliance"},{"n":"6/1","v":5}]})";
  auto records = decode_lwm2m_json(json, path("/3/0"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records,
            (std::vector<ResourceRecord>{rec("/3/0/0", std::string("Open Mobile Alliance")),
                                         rec("/3/0/6/1", int64_t{5})}));
}

TEST(Lwm2mJson, SingleResourceBothDirections) {
  const std::string json = std::string("{") +
                           R"("bn":"/3/0/9",)" +  // base name is the resource itself
                           R"("e":[{"v":95}])" +  // one entry, no name
                           "}";
  const std::vector<ResourceRecord> expected = {rec("/3/0/9", int64_t{95})};
  auto records = decode_lwm2m_json(json, path("/3/0/9"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, expected);
  auto text = encode_lwm2m_json(expected, path("/3/0/9"), spec_lookup());
  ASSERT_OK(text);
  EXPECT_EQ(*text, json);
}

TEST(Lwm2mJson, BaseTimeAndTimeAreAdded) {
  // 7.4.5 example with timestamps: a Float resource sampled three times.
  const std::string json = std::string("{") + R"("bn":"/72/",)" +    // base name
                           R"("bt":25462634,)" +                     // base time
                           R"("e":[{"n":"1/2","v":22.4,"t":-5},)" +  // 5 s before bt
                           R"({"n":"1/2","v":22.9,"t":-30},)" +      // 30 s before
                           R"({"n":"1/2","v":24.1,"t":-50}]})";      // 50 s before
  auto records = decode_lwm2m_json(json, path("/72"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, (std::vector<ResourceRecord>{rec_at("/72/1/2", 22.4, 25462629),
                                                   rec_at("/72/1/2", 22.9, 25462604),
                                                   rec_at("/72/1/2", 24.1, 25462584)}));
}

TEST(Lwm2mJson, TimesEncodeAsEntryTimes) {
  auto text = encode_lwm2m_json({rec_at("/72/1/2", 22.4, 25462629)}, path("/72"), spec_lookup());
  ASSERT_OK(text);
  EXPECT_EQ(*text, R"({"bn":"/72/","e":[{"n":"1/2","v":22.4,"t":25462629}]})");
}

TEST(Lwm2mJson, BooleanObjlnkAndOpaqueBothDirections) {
  const std::string json = std::string("{") + R"("bn":"/9/0/",)" +  // base name
                           R"("e":[{"n":"4","bv":true},)" +         // Boolean
                           R"({"n":"7","ov":"66:1"},)" +            // Objlnk
                           R"({"n":"5","sv":"AP8Q"},)" +            // Opaque, base64 in "sv"
                           R"({"n":"3","v":1.0}]})";  // Float that happens to be integral
  const std::vector<ResourceRecord> expected = {rec("/9/0/4", true), rec("/9/0/7", ObjLnk{66, 1}),
                                                rec("/9/0/5", bytes_of({0x00, 0xFF, 0x10})),
                                                rec("/9/0/3", 1.0)};
  auto records = decode_lwm2m_json(json, path("/9/0"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, expected);
  auto text = encode_lwm2m_json(expected, path("/9/0"), spec_lookup());
  ASSERT_OK(text);
  EXPECT_EQ(*text, json);
}

TEST(Lwm2mJson, UntypedNumbersKeepWireType) {
  auto records = decode_lwm2m_json(R"({"bn":"/500/0/","e":[{"n":"1","v":3},{"n":"2","v":2.5}]})",
                                   path("/500/0"), no_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records,
            (std::vector<ResourceRecord>{rec("/500/0/1", int64_t{3}), rec("/500/0/2", 2.5)}));
}

TEST(Lwm2mJson, RootWithoutRequestPath) {
  auto records = decode_lwm2m_json(R"({"bn":"/","e":[{"n":"3/0/9","v":95}]})", spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, (std::vector<ResourceRecord>{rec("/3/0/9", int64_t{95})}));
}

// ---- malformed input ----

TEST(Lwm2mJsonMalformed, NotJson) {
  EXPECT_ERROR(decode_lwm2m_json("{\"e\":[", path("/3/0"), spec_lookup()), "json_syntax");
}

TEST(Lwm2mJsonMalformed, NotAnObject) {
  EXPECT_ERROR(decode_lwm2m_json("[]", path("/3/0"), spec_lookup()), "json_not_object");
}

TEST(Lwm2mJsonMalformed, WithoutE) {
  EXPECT_ERROR(decode_lwm2m_json(R"({"bn":"/3/0/"})", path("/3/0"), spec_lookup()),
               "json_missing_e");
}

TEST(Lwm2mJsonMalformed, ENotAnArray) {
  EXPECT_ERROR(decode_lwm2m_json(R"({"e":{}})", path("/3/0"), spec_lookup()), "json_bad_field");
}

TEST(Lwm2mJsonMalformed, EntryNotAnObject) {
  EXPECT_ERROR(decode_lwm2m_json(R"({"e":[5]})", path("/3/0"), spec_lookup()), "json_bad_entry");
}

TEST(Lwm2mJsonMalformed, BaseNameNotAString) {
  EXPECT_ERROR(decode_lwm2m_json(R"({"bn":3,"e":[]})", path("/3/0"), spec_lookup()),
               "json_bad_field");
}

TEST(Lwm2mJsonMalformed, NumericValueAsString) {
  EXPECT_ERROR(decode_lwm2m_json(R"({"e":[{"n":"9","v":"95"}]})", path("/3/0"), spec_lookup()),
               "json_bad_field");
}

TEST(Lwm2mJsonMalformed, TwoValuesInOneEntry) {
  EXPECT_ERROR(
      decode_lwm2m_json(R"({"e":[{"n":"9","v":95,"sv":"x"}]})", path("/3/0"), spec_lookup()),
      "json_multiple_values");
}

TEST(Lwm2mJsonMalformed, EntryWithoutValue) {
  EXPECT_ERROR(decode_lwm2m_json(R"({"e":[{"n":"9"}]})", path("/3/0"), spec_lookup()),
               "missing_value");
}

TEST(Lwm2mJsonMalformed, OpaqueNotBase64) {
  EXPECT_ERROR(decode_lwm2m_json(R"({"e":[{"n":"5","sv":"A*"}]})", path("/9/0"), spec_lookup()),
               "base64_bad_char");
}

TEST(Lwm2mJsonMalformed, ObjlnkWithoutColon) {
  EXPECT_ERROR(decode_lwm2m_json(R"({"e":[{"n":"7","ov":"66"}]})", path("/9/0"), spec_lookup()),
               "bad_objlnk");
}

TEST(Lwm2mJsonMalformed, NameAboveResourceLevel) {
  EXPECT_ERROR(decode_lwm2m_json(R"({"bn":"/3/0","e":[{"v":1}]})", path("/3"), spec_lookup()),
               "bad_record_path");
}

TEST(Lwm2mJsonMalformed, NameOutsideRequest) {
  EXPECT_ERROR(
      decode_lwm2m_json(R"({"bn":"/4/0/","e":[{"n":"1","v":1}]})", path("/3/0"), spec_lookup()),
      "path_outside_request");
}

TEST(Lwm2mJsonMalformed, NameNotAPath) {
  EXPECT_ERROR(
      decode_lwm2m_json(R"({"bn":"/3/0/","e":[{"n":"x","v":1}]})", path("/3/0"), spec_lookup()),
      "bad_path");
}

TEST(Lwm2mJsonMalformed, ValueOfWrongModelType) {
  EXPECT_ERROR(decode_lwm2m_json(R"({"e":[{"n":"9","bv":true}]})", path("/3/0"), spec_lookup()),
               "type_mismatch");
}

TEST(Lwm2mJsonMalformed, NumberBeyondDoubleRange) {
  // The JSON parser refuses numbers that overflow a double.
  EXPECT_ERROR(decode_lwm2m_json(R"({"e":[{"n":"9","v":-1e999}]})", path("/3/0"), no_lookup()),
               "json_syntax");
}

TEST(Lwm2mJsonMalformed, FractionalIntegerResource) {
  EXPECT_ERROR(decode_lwm2m_json(R"({"e":[{"n":"9","v":9.5}]})", path("/3/0"), spec_lookup()),
               "type_mismatch");
}

TEST(Lwm2mJsonEncode, NonFiniteFloat) {
  EXPECT_ERROR(encode_lwm2m_json({rec("/9/0/3", std::numeric_limits<double>::infinity())},
                                 path("/9/0"), spec_lookup()),
               "non_finite");
}

TEST(Lwm2mJsonEncode, StringNotUtf8) {
  EXPECT_ERROR(
      encode_lwm2m_json({rec("/9/0/0", std::string("\xC3\x28"))}, path("/9/0"), spec_lookup()),
      "invalid_utf8");
}

}  // namespace
}  // namespace trellis::lwm2m::test
