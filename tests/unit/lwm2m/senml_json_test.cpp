// SenML JSON, content format 110 (RFC 8428; LwM2M 1.1 Core, 7.4.4).
#include "adapters/lwm2m/content/senml_json.hpp"

#include "test_support.hpp"

namespace trellis::lwm2m::test {
namespace {

// 7.4.4 example: Read /3/0 in SenML JSON.
std::string device_senml() {
  return std::string("[") +
         R"({"bn":"/3/0/","n":"0","vs":"Open Mobile Alliance"},)" +  // base name on record 1
         R"({"n":"1","vs":"Lightweight M2M Client"},)" +  // Model Number, string value "vs"
         R"({"n":"2","vs":"345000123"},)" +               // Serial Number
         R"({"n":"3","vs":"1.0"},)" +                     // Firmware Version
         R"({"n":"6/0","v":1},)" +                        // Available Power Sources [0]
         R"({"n":"6/1","v":5},)" +                        // Available Power Sources [1]
         R"({"n":"7/0","v":3800},)" +                     // Power Source Voltage [0]
         R"({"n":"7/1","v":5000},)" +                     // Power Source Voltage [1]
         R"({"n":"8/0","v":125},)" +                      // Power Source Current [0]
         R"({"n":"8/1","v":900},)" +                      // Power Source Current [1]
         R"({"n":"9","v":100},)" +                        // Battery Level
         R"({"n":"10","v":15},)" +                        // Memory Free
         R"({"n":"11/0","v":0},)" +                       // Error Code [0]
         R"({"n":"13","v":1367491215},)" +                // Current Time
         R"({"n":"14","vs":"+02:00"},)" +                 // UTC Offset
         R"({"n":"16","vs":"U"})" +                       // Supported Binding
         "]";
}

TEST(SenmlJson, DeviceInstanceDecodes) {
  auto records = decode_senml_json(device_senml(), path("/3/0"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, device_records());
}

TEST(SenmlJson, DeviceInstanceEncodesByteExact) {
  auto text = encode_senml_json(device_records(), path("/3/0"), spec_lookup());
  ASSERT_OK(text);
  EXPECT_EQ(*text, device_senml());
}

TEST(SenmlJson, SingleResourceBothDirections) {
  // 7.4.4: Read /3/0/0; the base name is the whole path, no name.
  const std::string json = R"([{"bn":"/3/0/0","vs":"Open Mobile Alliance"}])";
  const std::vector<ResourceRecord> expected = {rec("/3/0/0", std::string("Open Mobile Alliance"))};
  auto records = decode_senml_json(json, path("/3/0/0"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, expected);
  auto text = encode_senml_json(expected, path("/3/0/0"), spec_lookup());
  ASSERT_OK(text);
  EXPECT_EQ(*text, json);
}

TEST(SenmlJson, BaseTimeAndTimeAreAdded) {
  // 7.4.4 example with timestamps on a Float resource.
  const std::string json = std::string("[") +
                           R"({"bn":"/72/","bt":25462634,"n":"1/2","v":22.4,"t":-5},)" +
                           R"({"n":"1/2","v":22.9,"t":-30},)" + R"({"n":"1/2","v":24.1,"t":-50}])";
  auto records = decode_senml_json(json, path("/72"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, (std::vector<ResourceRecord>{rec_at("/72/1/2", 22.4, 25462629),
                                                   rec_at("/72/1/2", 22.9, 25462604),
                                                   rec_at("/72/1/2", 24.1, 25462584)}));
}

TEST(SenmlJson, TimesEncodeAsRecordTimes) {
  auto text = encode_senml_json({rec_at("/72/1/2", 22.4, -5), rec_at("/72/1/2", 22.9, 0.5)},
                                path("/72"), spec_lookup());
  ASSERT_OK(text);
  EXPECT_EQ(*text, R"([{"bn":"/72/","n":"1/2","v":22.4,"t":-5},{"n":"1/2","v":22.9,"t":0.5}])");
}

TEST(SenmlJson, ObjectLinksUnderRootBaseName) {
  // 7.4.4 example: bn "/" with full names and "vlo" object links.
  const std::string json = std::string("[") + R"({"bn":"/","n":"65/0/0/0","vlo":"66:0"},)" +
                           R"({"n":"65/0/0/1","vlo":"66:1"},)" +
                           R"({"n":"65/0/1","vs":"8613800755500"},)" + R"({"n":"65/0/2","v":1},)" +
                           R"({"n":"66/0/0","vs":"myService1"},)" +
                           R"({"n":"66/0/2","vlo":"67:0"}])";
  auto records = decode_senml_json(json, spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records,
            (std::vector<ResourceRecord>{
                rec("/65/0/0/0", ObjLnk{66, 0}), rec("/65/0/0/1", ObjLnk{66, 1}),
                rec("/65/0/1", std::string("8613800755500")), rec("/65/0/2", int64_t{1}),
                rec("/66/0/0", std::string("myService1")), rec("/66/0/2", ObjLnk{67, 0})}));
}

TEST(SenmlJson, CompositeRequestPaths) {
  // 7.4.4: the Read-Composite request body, names only.
  auto text = encode_senml_json_paths({path("/3/0/0"), path("/3/0/9"), path("/1/0/1")});
  ASSERT_OK(text);
  EXPECT_EQ(*text, R"([{"n":"/3/0/0"},{"n":"/3/0/9"},{"n":"/1/0/1"}])");
}

TEST(SenmlJson, CompositeResponseBothDirections) {
  // 7.4.4: the Read-Composite response, absolute names and no base name.
  const std::string json = std::string("[") + R"({"n":"/3/0/0","vs":"Open Mobile Alliance"},)" +
                           R"({"n":"/3/0/9","v":95},)" + R"({"n":"/1/0/1","v":86400}])";
  const std::vector<ResourceRecord> expected = {rec("/3/0/0", std::string("Open Mobile Alliance")),
                                                rec("/3/0/9", int64_t{95}),
                                                rec("/1/0/1", int64_t{86400})};
  auto records = decode_senml_json(json, spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, expected);
  auto text = encode_senml_json(expected, spec_lookup());
  ASSERT_OK(text);
  EXPECT_EQ(*text, json);
}

TEST(SenmlJson, DataValueIsBase64UrlWithoutPadding) {
  const std::string json = R"([{"bn":"/9/0/5","vd":"-_8"}])";  // bytes FB FF
  const std::vector<ResourceRecord> expected = {rec("/9/0/5", bytes_of({0xFB, 0xFF}))};
  auto records = decode_senml_json(json, path("/9/0/5"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, expected);
  auto text = encode_senml_json(expected, path("/9/0/5"), spec_lookup());
  ASSERT_OK(text);
  EXPECT_EQ(*text, json);
}

TEST(SenmlJson, BooleanUnsignedAndCorelnk) {
  const std::string json = std::string("[") + R"({"bn":"/9/0/","n":"4","vb":false},)" +  // Boolean
                           R"({"n":"2","v":18446744073709551615},)" +  // Unsigned 2^64-1
                           R"({"n":"8","vs":"</3/0>;ver=1.1"}])";      // Corelnk as "vs"
  const std::vector<ResourceRecord> expected = {rec("/9/0/4", false),
                                                rec("/9/0/2", uint64_t{18446744073709551615u}),
                                                rec("/9/0/8", CoreLnk{"</3/0>;ver=1.1"})};
  auto records = decode_senml_json(json, path("/9/0"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, expected);
  auto text = encode_senml_json(expected, path("/9/0"), spec_lookup());
  ASSERT_OK(text);
  EXPECT_EQ(*text, json);
}

TEST(SenmlJson, UnknownFieldsAreIgnored) {
  auto records = decode_senml_json(R"([{"bver":10,"bn":"/3/0/9","u":"%","v":95}])", path("/3/0"),
                                   spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, (std::vector<ResourceRecord>{rec("/3/0/9", int64_t{95})}));
}

TEST(SenmlJson, StringEscapesRoundTrip) {
  const std::vector<ResourceRecord> expected = {
      rec("/9/0/0", std::string("q\"b\\n\n\x01 \xC3\xA9"))};
  auto text = encode_senml_json(expected, path("/9/0/0"), spec_lookup());
  ASSERT_OK(text);
  EXPECT_EQ(*text, "[{\"bn\":\"/9/0/0\",\"vs\":\"q\\\"b\\\\n\\n\\u0001 \xC3\xA9\"}]");
  auto records = decode_senml_json(*text, path("/9/0/0"), spec_lookup());
  ASSERT_OK(records);
  EXPECT_EQ(*records, expected);
}

// ---- malformed input ----

TEST(SenmlJsonMalformed, NotJson) {
  EXPECT_ERROR(decode_senml_json("[{", path("/3/0"), spec_lookup()), "json_syntax");
}

TEST(SenmlJsonMalformed, NotAnArray) {
  EXPECT_ERROR(decode_senml_json(R"({"bn":"/3/0/"})", path("/3/0"), spec_lookup()),
               "senml_not_array");
}

TEST(SenmlJsonMalformed, RecordNotAnObject) {
  EXPECT_ERROR(decode_senml_json("[1]", path("/3/0"), spec_lookup()), "senml_bad_record");
}

TEST(SenmlJsonMalformed, NameNotAString) {
  EXPECT_ERROR(decode_senml_json(R"([{"bn":"/3/0/","n":9,"v":1}])", path("/3/0"), spec_lookup()),
               "senml_bad_field");
}

TEST(SenmlJsonMalformed, BooleanValueNotBoolean) {
  EXPECT_ERROR(decode_senml_json(R"([{"bn":"/9/0/4","vb":1}])", path("/9/0"), spec_lookup()),
               "senml_bad_field");
}

TEST(SenmlJsonMalformed, TwoValuesInOneRecord) {
  EXPECT_ERROR(
      decode_senml_json(R"([{"bn":"/3/0/9","v":1,"vs":"1"}])", path("/3/0"), spec_lookup()),
      "senml_multiple_values");
}

TEST(SenmlJsonMalformed, RecordWithoutValue) {
  EXPECT_ERROR(decode_senml_json(R"([{"bn":"/3/0/9"}])", path("/3/0"), spec_lookup()),
               "missing_value");
}

TEST(SenmlJsonMalformed, DataValueLoneCharacter) {
  EXPECT_ERROR(decode_senml_json(R"([{"bn":"/9/0/5","vd":"AAAAA"}])", path("/9/0"), spec_lookup()),
               "base64_bad_length");
}

TEST(SenmlJsonMalformed, DataValueBadCharacter) {
  EXPECT_ERROR(decode_senml_json(R"([{"bn":"/9/0/5","vd":"AA.A"}])", path("/9/0"), spec_lookup()),
               "base64_bad_char");
}

TEST(SenmlJsonMalformed, DataValueNonZeroTrailingBits) {
  EXPECT_ERROR(decode_senml_json(R"([{"bn":"/9/0/5","vd":"AB"}])", path("/9/0"), spec_lookup()),
               "base64_trailing_bits");
}

TEST(SenmlJsonMalformed, MustUnderstandField) {
  EXPECT_ERROR(decode_senml_json(R"([{"bn":"/3/0/9","v":1,"x_":1}])", path("/3/0"), spec_lookup()),
               "senml_must_understand");
}

TEST(SenmlJsonMalformed, BaseValueNotSupported) {
  EXPECT_ERROR(decode_senml_json(R"([{"bn":"/3/0/9","bv":10,"v":1}])", path("/3/0"), spec_lookup()),
               "senml_must_understand");
}

TEST(SenmlJsonMalformed, RelativeNameWithoutBaseName) {
  EXPECT_ERROR(decode_senml_json(R"([{"n":"9","v":1}])", path("/3/0"), spec_lookup()), "bad_path");
}

TEST(SenmlJsonMalformed, NameAboveResourceLevel) {
  EXPECT_ERROR(decode_senml_json(R"([{"n":"/3/0","v":1}])", path("/3"), spec_lookup()),
               "bad_record_path");
}

TEST(SenmlJsonMalformed, NameOutsideRequest) {
  EXPECT_ERROR(decode_senml_json(R"([{"n":"/4/0/1","v":1}])", path("/3"), spec_lookup()),
               "path_outside_request");
}

TEST(SenmlJsonMalformed, BadObjectLink) {
  EXPECT_ERROR(decode_senml_json(R"([{"n":"/9/0/7","vlo":"66:70000"}])", path("/9"), spec_lookup()),
               "bad_objlnk");
}

TEST(SenmlJsonMalformed, NumberBeyondDoubleRange) {
  // The JSON parser refuses numbers that overflow a double.
  EXPECT_ERROR(decode_senml_json(R"([{"n":"/3/0/9","v":1e999}])", path("/3"), no_lookup()),
               "json_syntax");
}

TEST(SenmlJsonMalformed, ValueOfWrongModelType) {
  EXPECT_ERROR(decode_senml_json(R"([{"n":"/3/0/9","vs":"95"}])", path("/3"), spec_lookup()),
               "type_mismatch");
}

}  // namespace
}  // namespace trellis::lwm2m::test
