// The three uplink payload forms of `{device}/messages/json` (DESIGN.md,
// "MQTT devices: data, tasks, acks") and each rule a payload can break.
#include "db/telemetry_payload.hpp"

#include <gtest/gtest.h>

#include <string>

namespace trellis::db {
namespace {

constexpr int64_t now = 1700000000000;

Point pt(std::string key, int64_t ts, Value v) {
  return Point{"", std::move(key), ts, std::move(v)};
}

void expect_error(std::string_view json, const char* code, const std::string& mentions = {}) {
  auto r = parse_telemetry_payload(json, now);
  ASSERT_FALSE(r) << "parsed: " << json;
  EXPECT_EQ(r.error().code, code) << r.error().message;
  if (!mentions.empty()) {
    EXPECT_NE(r.error().message.find(mentions), std::string::npos) << r.error().message;
  }
}

// ---- the three forms, byte-exact ----

TEST(TelemetryPayload, FlatObjectIsStampedWithNow) {
  const std::string json =
      "{"
      "\"temperature\": 23.2, "  // number
      "\"humidity\": 70, "       // integer, stored as a double
      "\"door\": \"open\", "     // string
      "\"alarm\": false"         // boolean
      "}";
  auto r = parse_telemetry_payload(json, now);
  ASSERT_TRUE(r) << r.error().message;
  std::vector<Point> expected = {
      pt("temperature", now, 23.2),
      pt("humidity", now, 70.0),
      pt("door", now, std::string("open")),
      pt("alarm", now, false),
  };
  EXPECT_EQ(*r, expected);  // document order
}

TEST(TelemetryPayload, ObjectKeyedByTimestamp) {
  const std::string json =
      "{"
      "\"1349907137000\": {\"temperature\": 23.2}, "                    // ms since epoch
      "\"1349908137000\": {\"temperature\": 24.5, \"door\": \"shut\"}"  // two keys at one time
      "}";
  auto r = parse_telemetry_payload(json, now);
  ASSERT_TRUE(r) << r.error().message;
  std::vector<Point> expected = {
      pt("temperature", 1349907137000, 23.2),
      pt("temperature", 1349908137000, 24.5),
      pt("door", 1349908137000, std::string("shut")),
  };
  EXPECT_EQ(*r, expected);
}

TEST(TelemetryPayload, ArrayOfTimestampValueEntries) {
  const std::string json =
      "[{"
      "\"temperature\": ["
      "{\"timestamp\": 1416324560869, \"value\": 42.2}, "  // entry 0
      "{\"timestamp\": 1416324560870, \"value\": 42.3}"    // entry 1
      "]}, {"
      "\"alarm\": [{\"value\": true, \"timestamp\": 1416324560869}]"  // members in either order
      "}]";
  auto r = parse_telemetry_payload(json, now);
  ASSERT_TRUE(r) << r.error().message;
  std::vector<Point> expected = {
      pt("temperature", 1416324560869, 42.2),
      pt("temperature", 1416324560870, 42.3),
      pt("alarm", 1416324560869, true),
  };
  EXPECT_EQ(*r, expected);
}

TEST(TelemetryPayload, DigitKeyWithScalarIsAnOrdinaryKey) {
  auto r = parse_telemetry_payload(R"({"123": 5})", now);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, std::vector<Point>{pt("123", now, 5.0)});
}

TEST(TelemetryPayload, WholeNumberFloatTimestampIsAccepted) {
  auto r = parse_telemetry_payload(R"([{"t": [{"timestamp": 1416324560869.0, "value": 1}]}])", now);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)[0].ts_ms, 1416324560869);
}

TEST(TelemetryPayload, EmptyTimestampObjectBesideOthersIsAccepted) {
  auto r = parse_telemetry_payload(R"({"1": {}, "2": {"t": 1}})", now);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, std::vector<Point>{pt("t", 2, 1.0)});
}

TEST(TelemetryPayload, BracketsInsideStringsDoNotCountAsNesting) {
  auto r = parse_telemetry_payload(R"({"a[[[[[{{{{": "]]]]}}}}\"[[[["})", now);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)[0].key, "a[[[[[{{{{");
}

// ---- malformed payloads, one rule each ----

TEST(TelemetryPayloadMalformed, NotJson) {
  expect_error(R"({"temperature": 23.2)", "bad_json");
}

TEST(TelemetryPayloadMalformed, TrailingBytesAfterJson) {
  expect_error(R"({"temperature": 23.2} x)", "bad_json");
}

TEST(TelemetryPayloadMalformed, EmptyPayload) {
  expect_error("", "bad_json");
}

TEST(TelemetryPayloadMalformed, InvalidUtf8InKey) {
  expect_error("{\"t\xff\": 1}", "bad_json");
}

TEST(TelemetryPayloadMalformed, NumberOverflow) {
  expect_error(R"({"t": 1e400})", "bad_json", "1e400");
}

TEST(TelemetryPayloadMalformed, TopLevelNumber) {
  expect_error("42", "bad_shape");
}

TEST(TelemetryPayloadMalformed, TopLevelString) {
  expect_error(R"("hello")", "bad_shape");
}

TEST(TelemetryPayloadMalformed, EmptyObjectHoldsNoValues) {
  expect_error("{}", "no_values");
}

TEST(TelemetryPayloadMalformed, EmptyArrayHoldsNoValues) {
  expect_error("[]", "no_values");
}

TEST(TelemetryPayloadMalformed, OnlyEmptyTimestampObjectsHoldNoValues) {
  expect_error(R"({"1349907137000": {}})", "no_values");
}

TEST(TelemetryPayloadMalformed, NullValueNamesItsKey) {
  expect_error(R"({"temperature": 23.2, "humidity": null})", "bad_value", "'humidity'");
}

TEST(TelemetryPayloadMalformed, NestedObjectValueNamesItsKey) {
  expect_error(R"({"temperature": {"celsius": 23.2}})", "bad_value", "'temperature'");
}

TEST(TelemetryPayloadMalformed, ArrayValueInFlatForm) {
  expect_error(R"({"temperature": [23.2, 23.3]})", "bad_value", "'temperature'");
}

TEST(TelemetryPayloadMalformed, TimestampObjectMixedWithFlatValuesNamesTheFlatOne) {
  expect_error(R"({"1349907137000": {"t": 1}, "h": 2})", "bad_shape", "member 'h' is not");
  expect_error(R"({"h": 2, "1349907137000": {"t": 1}})", "bad_shape", "member 'h' is not");
}

TEST(TelemetryPayloadMalformed, TimestampKeyBeyond2To53) {
  expect_error(R"({"99999999999999999": {"t": 1}})", "bad_timestamp", "'99999999999999999'");
}

TEST(TelemetryPayloadMalformed, NullUnderTimestampNamesKeyAndTime) {
  expect_error(R"({"1349907137000": {"t": null}})", "bad_value", "'t' at 1349907137000");
}

TEST(TelemetryPayloadMalformed, ObjectUnderTimestampNamesKey) {
  expect_error(R"({"1349907137000": {"t": {"x": 1}}})", "bad_value", "'t'");
}

TEST(TelemetryPayloadMalformed, EmptyKey) {
  expect_error(R"({"": 1})", "bad_key");
}

TEST(TelemetryPayloadMalformed, KeyLongerThan256Bytes) {
  expect_error("{\"" + std::string(257, 'k') + "\": 1}", "bad_key");
}

TEST(TelemetryPayloadMalformed, ArrayElementNotAnObject) {
  expect_error("[1]", "bad_shape");
}

TEST(TelemetryPayloadMalformed, EntriesNotAnArray) {
  expect_error(R"([{"temperature": 5}])", "bad_shape", "'temperature'");
}

TEST(TelemetryPayloadMalformed, EntryNotAnObject) {
  expect_error(R"([{"temperature": [5]}])", "bad_entry", "entry 0 of 'temperature'");
}

TEST(TelemetryPayloadMalformed, EntryWithoutTimestamp) {
  expect_error(R"([{"temperature": [{"value": 5}]}])", "bad_entry", "\"timestamp\"");
}

TEST(TelemetryPayloadMalformed, EntryWithoutValue) {
  expect_error(R"([{"temperature": [{"timestamp": 5}]}])", "bad_entry", "\"value\"");
}

TEST(TelemetryPayloadMalformed, EntryWithUnexpectedMember) {
  expect_error(R"([{"t": [{"timestamp": 5, "value": 1, "unit": "C"}]}])", "bad_entry", "'unit'");
}

TEST(TelemetryPayloadMalformed, NegativeTimestamp) {
  expect_error(R"([{"t": [{"timestamp": -5, "value": 1}]}])", "bad_timestamp", "negative");
}

TEST(TelemetryPayloadMalformed, FractionalTimestamp) {
  expect_error(R"([{"t": [{"timestamp": 1.5, "value": 1}]}])", "bad_timestamp");
}

TEST(TelemetryPayloadMalformed, StringTimestamp) {
  expect_error(R"([{"t": [{"timestamp": "1416324560869", "value": 1}]}])", "bad_timestamp",
               "is a string, not a number of ms since the epoch");
}

TEST(TelemetryPayloadMalformed, TimestampBeyond2To53) {
  expect_error(R"([{"t": [{"timestamp": 9007199254740993, "value": 1}]}])", "bad_timestamp");
}

TEST(TelemetryPayloadMalformed, NullEntryValueNamesKey) {
  expect_error(R"([{"humidity": [{"timestamp": 5, "value": null}]}])", "bad_value", "'humidity'");
}

TEST(TelemetryPayloadMalformed, NestingDeeperThanFourLevels) {
  expect_error(R"([{"t": [{"timestamp": 5, "value": [1]}]}])", "too_deep");
}

TEST(TelemetryPayloadMalformed, HostileNestingIsRefusedBeforeParsing) {
  expect_error(std::string(100000, '['), "too_deep");
}

TEST(TelemetryPayloadMalformed, OneBadEntryRejectsTheWholePayload) {
  auto r = parse_telemetry_payload(
      R"([{"t": [{"timestamp": 1, "value": 1}, {"timestamp": 2, "value": null}]}])", now);
  EXPECT_FALSE(r);
}

}  // namespace
}  // namespace trellis::db
