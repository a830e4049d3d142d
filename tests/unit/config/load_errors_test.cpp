// Every way a configuration is refused, one rule per test, with the exact
// message a person reads before trellis exits with status 2.
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "test_support.hpp"

namespace trellis::config {
namespace {

using testing::fake_env;
using testing::load_error;
using testing::no_env;
using testing::with_file;
using testing::with_sets;
using testing::write_temp;

std::string file_error(const std::string& content, std::string* path_out = nullptr) {
  std::string path = write_temp(content);
  if (path_out) *path_out = path;
  return load_error(with_file(path), no_env());
}

std::string set_error(const std::string& assignment) {
  return load_error(with_sets({assignment}), no_env());
}

TEST(UnknownKey, InFileNested) {
  std::string path;
  auto msg = file_error(R"({"mqtt": {"tcp_prot": 1}})", &path);
  EXPECT_EQ(msg,
            "config: mqtt.tcp_prot: unknown key (from " + path + "); did you mean mqtt.tcp_port?");
}

TEST(UnknownKey, InFileFlat) {
  std::string path;
  auto msg = file_error(R"({"colour": "red"})", &path);
  EXPECT_EQ(msg, "config: colour: unknown key (from " + path + ")");
}

TEST(UnknownKey, InSet) {
  EXPECT_EQ(set_error("mqtt.tcp_prot=1"),
            "config: mqtt.tcp_prot: unknown key (from --set); did you mean mqtt.tcp_port?");
}

TEST(UnknownKey, RightNameInTheWrongGroupSuggestsTheKey) {
  EXPECT_EQ(set_error("tcp_port=1"),
            "config: tcp_port: unknown key (from --set); did you mean mqtt.tcp_port?");
}

TEST(UnknownKey, AmbiguousNameSuggestsNothing) {
  EXPECT_EQ(set_error("bind=0.0.0.0"), "config: bind: unknown key (from --set)");
}

TEST(UnknownKey, GroupAloneIsNotAKey) {
  EXPECT_EQ(set_error("mqtt=1"), "config: mqtt: unknown key (from --set)");
}

TEST(SetSyntax, AssignmentWithoutEqualsSign) {
  EXPECT_EQ(set_error("mqtt.tcp_port"), "config: --set \"mqtt.tcp_port\": expected key=value");
}

TEST(SetSyntax, AssignmentWithoutKey) {
  EXPECT_EQ(set_error("=1"), "config: --set \"=1\": expected key=value");
}

TEST(WrongType, StringForIntegerInFile) {
  std::string path;
  auto msg = file_error(R"({"mqtt": {"tcp_port": "1883"}})", &path);
  EXPECT_EQ(msg, "config: mqtt.tcp_port: expected an integer from 0 to 65535, got \"1883\" (from " +
                     path + ")");
}

TEST(WrongType, FractionForInteger) {
  std::string path;
  auto msg = file_error(R"({"threads": 1.5})", &path);
  EXPECT_EQ(msg, "config: threads: expected an integer from 0 to 256, got 1.5 (from " + path + ")");
}

TEST(WrongType, NotAnIntegerInSet) {
  EXPECT_EQ(set_error("mqtt.tcp_port=abc"),
            "config: mqtt.tcp_port: expected an integer from 0 to 65535, got \"abc\" (from --set)");
}

TEST(WrongType, IntegerWithTrailingText) {
  EXPECT_EQ(set_error("mqtt.tcp_port=80x"),
            "config: mqtt.tcp_port: expected an integer from 0 to 65535, got \"80x\" (from --set)");
}

TEST(WrongType, BooleanWordInFile) {
  std::string path;
  auto msg = file_error(R"({"registry": {"auto_register": "yes"}})", &path);
  EXPECT_EQ(msg, "config: registry.auto_register: expected true or false, got \"yes\" (from " +
                     path + ")");
}

TEST(WrongType, BadBooleanInSet) {
  EXPECT_EQ(set_error("registry.auto_register=maybe"),
            "config: registry.auto_register: expected true, false, yes, no, on, off, 1 or 0, got "
            "\"maybe\" (from --set)");
}

TEST(WrongType, NumberForString) {
  std::string path;
  auto msg = file_error(R"({"mqtt.bind": 5})", &path);
  EXPECT_EQ(msg, "config: mqtt.bind: expected a string, got 5 (from " + path + ")");
}

TEST(WrongType, NullIsNotAValue) {
  std::string path;
  auto msg = file_error(R"({"data_dir": null})", &path);
  EXPECT_EQ(msg, "config: data_dir: expected a string, got null (from " + path + ")");
}

TEST(WrongType, GroupGivenAsScalar) {
  std::string path;
  auto msg = file_error(R"({"mqtt": 5})", &path);
  EXPECT_EQ(msg, "config: mqtt: expected an object of mqtt.* keys, got 5 (from " + path + ")");
}

TEST(OutOfRange, AboveMaximumFromEnvironment) {
  EXPECT_EQ(load_error(CommandLine{}, fake_env({{"TRELLIS_MQTT_TCP_PORT", "70000"}})),
            "config: mqtt.tcp_port: expected an integer from 0 to 65535, got \"70000\" (from "
            "TRELLIS_MQTT_TCP_PORT)");
}

TEST(OutOfRange, BelowMinimumInFile) {
  std::string path;
  auto msg = file_error(R"({"mqtt": {"max_inflight": 0}})", &path);
  EXPECT_EQ(msg, "config: mqtt.max_inflight: expected an integer from 1 to 65535, got 0 (from " +
                     path + ")");
}

TEST(OutOfRange, Negative) {
  EXPECT_EQ(set_error("threads=-1"),
            "config: threads: expected an integer from 0 to 256, got \"-1\" (from --set)");
}

TEST(OutOfRange, BeyondSixtyFourBits) {
  std::string path;
  auto msg = file_error(R"({"threads": 18446744073709551615})", &path);
  EXPECT_EQ(msg,
            "config: threads: expected an integer from 0 to 256, got 18446744073709551615 "
            "(from " +
                path + ")");
  EXPECT_EQ(set_error("threads=99999999999999999999"),
            "config: threads: expected an integer from 0 to 256, got \"99999999999999999999\" "
            "(from --set)");
}

TEST(BadChoice, LogLevel) {
  EXPECT_EQ(set_error("log.level=verbose"),
            "config: log.level: expected one of trace, debug, info, warn, error, off, got "
            "\"verbose\" (from --set)");
}

TEST(BadList, StringInsteadOfArrayInFile) {
  std::string path;
  auto msg = file_error(R"({"http": {"api_keys": "abc"}})", &path);
  EXPECT_EQ(msg,
            "config: http.api_keys: expected a list of strings, got \"abc\" (from " + path + ")");
}

TEST(BadList, ItemNotAString) {
  std::string path;
  auto msg = file_error(R"({"lwm2m": {"xml_dirs": ["/a", 2]}})", &path);
  EXPECT_EQ(msg, "config: lwm2m.xml_dirs: expected a list of strings, got 2 (from " + path + ")");
}

TEST(BadList, BrokenJsonArrayInSet) {
  EXPECT_EQ(set_error("http.api_keys=[\"a\","),
            "config: http.api_keys: expected a list of strings (a JSON array or comma separated), "
            "got \"[\\\"a\\\",\" (from --set)");
}

TEST(BadList, AutoObservePathWithoutLeadingSlash) {
  std::string path;
  auto msg = file_error(R"({"lwm2m": {"auto_observe": ["/3/0", "3303/0"]}})", &path);
  EXPECT_EQ(msg,
            "config: lwm2m.auto_observe: expected LwM2M paths like \"/3303/0/5700\", got "
            "\"3303/0\" (from " +
                path + ")");
}

TEST(BadList, AutoObserveNeitherBooleanNorList) {
  std::string path;
  auto msg = file_error(R"({"lwm2m": {"auto_observe": "all"}})", &path);
  EXPECT_EQ(msg,
            "config: lwm2m.auto_observe: expected true, false or a list of LwM2M paths like "
            "\"/3303/0/5700\", got \"all\" (from " +
                path + ")");
}

TEST(BadMap, TopicIdZero) {
  std::string path;
  auto msg = file_error(R"({"mqttsn": {"predefined_topics": {"0": "a"}}})", &path);
  EXPECT_EQ(msg,
            "config: mqttsn.predefined_topics: expected keys that are integers from 1 to "
            "65534, got \"0\" (from " +
                path + ")");
}

TEST(BadMap, TopicIdAboveSixteenBits) {
  EXPECT_EQ(set_error(R"(mqttsn.predefined_topics={"65536": "a"})"),
            "config: mqttsn.predefined_topics: expected keys that are integers from 1 to 65534, "
            "got \"65536\" (from --set)");
}

TEST(BadMap, TopicIdReserved) {
  EXPECT_EQ(set_error(R"(mqttsn.predefined_topics={"65535": "a"})"),
            "config: mqttsn.predefined_topics: expected keys that are integers from 1 to 65534, "
            "got \"65535\" (from --set)");
}

TEST(BadMap, TopicIdNotANumber) {
  EXPECT_EQ(set_error(R"(mqttsn.predefined_topics={"temp": "a"})"),
            "config: mqttsn.predefined_topics: expected keys that are integers from 1 to 65534, "
            "got \"temp\" (from --set)");
}

TEST(BadMap, TopicNameWithWildcard) {
  EXPECT_EQ(set_error(R"(mqttsn.predefined_topics={"1": "a/#"})"),
            "config: mqttsn.predefined_topics: expected MQTT topic names without wildcards as "
            "values, got \"a/#\" (from --set)");
}

TEST(BadMap, NotJson) {
  EXPECT_EQ(set_error("mqttsn.predefined_topics=1:a"),
            "config: mqttsn.predefined_topics: expected an object mapping topic ids from 1 to "
            "65534 to MQTT topic names, got \"1:a\" (from --set)");
}

TEST(BadAcl, UnknownMember) {
  EXPECT_EQ(set_error(R"(mqtt.anonymous_acl={"publsh": []})"),
            "config: mqtt.anonymous_acl: expected only the members \"publish\", \"subscribe\" and "
            "\"deny\", got \"publsh\" (from --set)");
}

TEST(BadAcl, InvalidTopicFilter) {
  EXPECT_EQ(set_error(R"(mqtt.anonymous_acl={"publish": ["a/#/b"]})"),
            "config: mqtt.anonymous_acl: expected \"publish\" to hold MQTT topic filters, got "
            "\"a/#/b\" (from --set)");
}

TEST(BadAcl, ListNotAnArray) {
  EXPECT_EQ(set_error(R"(mqtt.anonymous_acl={"deny": "#"})"),
            "config: mqtt.anonymous_acl: expected \"deny\" to be a list of MQTT topic filters, got "
            "\"#\" (from --set)");
}

TEST(BadString, WsPathWithoutLeadingSlash) {
  EXPECT_EQ(set_error("mqtt.ws_path=mqtt"),
            "config: mqtt.ws_path: expected a path starting with '/', got \"mqtt\" (from --set)");
}

TEST(BadString, AdvertiseAddressWithoutPort) {
  EXPECT_EQ(set_error("mqttsn.advertise_address=255.255.255.255"),
            "config: mqttsn.advertise_address: expected \"\" or an \"ip:port\" address, got "
            "\"255.255.255.255\" (from --set)");
}

TEST(BadString, AdvertiseAddressIpv6NeedsBrackets) {
  EXPECT_EQ(set_error("mqttsn.advertise_address=ff02::1:1884"),
            "config: mqttsn.advertise_address: expected \"\" or an \"ip:port\" address, got "
            "\"ff02::1:1884\" (from --set)");
  EXPECT_TRUE(load(with_sets({"mqttsn.advertise_address=[ff02::1]:1884"}), no_env()).ok());
  EXPECT_TRUE(load(with_sets({"mqttsn.advertise_address=255.255.255.255:1884"}), no_env()).ok());
}

TEST(BadString, TopicPrefixWithWildcard) {
  EXPECT_EQ(set_error("lwm2m.topic_prefix=lw/+"),
            "config: lwm2m.topic_prefix: expected an MQTT topic name without wildcards, got "
            "\"lw/+\" (from --set)");
}

TEST(BadString, CommandTopicNotAFilter) {
  EXPECT_EQ(set_error("lwm2m.topics.command=dn/#/x"),
            "config: lwm2m.topics.command: expected an MQTT topic filter, got \"dn/#/x\" (from "
            "--set)");
}

TEST(BadString, InvalidUtf8) {
  EXPECT_EQ(set_error("data_dir=\xff"),
            "config: data_dir: expected valid UTF-8 text, got \"\xEF\xBF\xBD\" (from --set)");
}

TEST(BadFile, Missing) {
  EXPECT_EQ(load_error(with_file("/nonexistent/trellis.jsonc"), no_env()),
            "config: cannot read /nonexistent/trellis.jsonc: No such file or directory");
}

TEST(BadFile, InvalidJsonNamesTheLine) {
  std::string path;
  auto msg =
      file_error("{\n  // a comment\n  \"mqtt\": {\n    \"tcp_port\": 1883,\n  }\n}\n", &path);
  EXPECT_EQ(msg, "config: " + path +
                     ": invalid JSON at line 5, column 3: syntax error while parsing object key "
                     "- unexpected '}'; expected string literal");
}

TEST(BadFile, UnterminatedBlockComment) {
  std::string path;
  auto msg = file_error("{\n/* never closed\n", &path);
  EXPECT_EQ(msg.rfind("config: " + path + ": invalid JSON at line 3", 0), 0u) << msg;
}

TEST(BadFile, Empty) {
  std::string path;
  auto msg = file_error("", &path);
  EXPECT_EQ(msg.rfind("config: " + path + ": invalid JSON at line 1, column 1: ", 0), 0u) << msg;
}

TEST(BadFile, TopLevelNotAnObject) {
  std::string path;
  auto msg = file_error("[1, 2]", &path);
  EXPECT_EQ(msg, "config: " + path + ": expected a JSON object at the top level, got [1,2]");
}

TEST(BadFile, KeyGivenTwice) {
  std::string path;
  auto msg = file_error(R"({"mqtt.tcp_port": 1, "mqtt": {"tcp_port": 2}})", &path);
  EXPECT_EQ(msg, "config: mqtt.tcp_port: given twice (from " + path + ")");
}

TEST(AcrossKeys, LifetimeMinAboveMax) {
  EXPECT_EQ(set_error("lwm2m.lifetime_min=100000"),
            "config: lwm2m.lifetime_min: expected at most lwm2m.lifetime_max (86400), got 100000 "
            "(from --set)");
}

TEST(AcrossKeys, LifetimeMaxBelowDefaultMin) {
  EXPECT_EQ(set_error("lwm2m.lifetime_max=10"),
            "config: lwm2m.lifetime_max: expected at least lwm2m.lifetime_min (15), got 10 (from "
            "--set)");
}

TEST(AcrossKeys, LifetimeMinEqualToMaxIsFine) {
  EXPECT_TRUE(load(with_sets({"lwm2m.lifetime_min=60", "lwm2m.lifetime_max=60"}), no_env()).ok());
}

// "a/a/.../a" with n levels.
std::string levels(std::size_t n) {
  std::string s = "a";
  for (std::size_t i = 1; i < n; ++i) s += "/a";
  return s;
}

TEST(AcrossKeys, LwM2MTopicsPastTheLevelLimitBlameThePrefixWhenOnlyItWasSet) {
  // 198 + the endpoint + "dn/#" = 201 levels; the command filter is checked first.
  EXPECT_EQ(set_error("lwm2m.topic_prefix=" + levels(198)),
            "config: lwm2m.topic_prefix: {lwm2m.topic_prefix}/{endpoint}/{lwm2m.topics.command} "
            "is an invalid topic: topic filter has over 200 levels (from --set)");
  EXPECT_TRUE(load(with_sets({"lwm2m.topic_prefix=" + levels(197)}), no_env()).ok());
}

TEST(AcrossKeys, LwM2MTopicsPastTheLevelLimitBlameTheTopicThatWasSet) {
  EXPECT_EQ(load_error(with_sets({"lwm2m.topic_prefix=" + levels(100),
                                  "lwm2m.topics.notify=" + levels(100)}),
                       no_env()),
            "config: lwm2m.topics.notify: {lwm2m.topic_prefix}/{endpoint}/{lwm2m.topics.notify} "
            "is an invalid topic: topic name has over 200 levels (from --set)");
  // The command filter counts its "#" as a level.
  EXPECT_EQ(load_error(with_sets({"lwm2m.topics.command=" + levels(198) + "/#"}), no_env()),
            "config: lwm2m.topics.command: {lwm2m.topic_prefix}/{endpoint}/{lwm2m.topics.command} "
            "is an invalid topic: topic filter has over 200 levels (from --set)");
  EXPECT_TRUE(load(with_sets({"lwm2m.topics.command=" + levels(197) + "/#"}), no_env()).ok());
}

TEST(AcrossKeys, TlsCertWithoutKey) {
  EXPECT_EQ(set_error("mqtt.tls.cert=server.pem"),
            "config: mqtt.tls.key: expected a file name because mqtt.tls.cert is set (from "
            "--set)");
}

TEST(AcrossKeys, DtlsKeyWithoutCert) {
  EXPECT_EQ(load_error(CommandLine{}, fake_env({{"TRELLIS_LWM2M_DTLS_KEY", "k.pem"}})),
            "config: lwm2m.dtls.cert: expected a file name because lwm2m.dtls.key is set (from "
            "TRELLIS_LWM2M_DTLS_KEY)");
}

// A bad value is an error even when a later source would replace it: the file
// is still wrong and would bite the next time it is used alone.
TEST(Reporting, BadFileValueOverriddenLaterIsStillAnError) {
  std::string path = write_temp(R"({"threads": "many"})");
  CommandLine cl = with_file(path);
  cl.sets = {"threads=2"};
  EXPECT_EQ(load_error(cl, no_env()),
            "config: threads: expected an integer from 0 to 256, got \"many\" (from " + path + ")");
}

TEST(Reporting, EveryErrorOneLineEachInSourceOrder) {
  std::string path = write_temp(R"({"threads": -1})");
  CommandLine cl = with_file(path);
  cl.sets = {"log.level=loud", "nope=1"};
  EXPECT_EQ(load_error(cl, fake_env({{"TRELLIS_HTTP_PORT", "x"}})),
            "config: threads: expected an integer from 0 to 256, got -1 (from " + path +
                ")\n"
                "config: http.port: expected an integer from 0 to 65535, got \"x\" (from "
                "TRELLIS_HTTP_PORT)\n"
                "config: log.level: expected one of trace, debug, info, warn, error, off, got "
                "\"loud\" (from --set)\n"
                "config: nope: unknown key (from --set)");
}

TEST(Reporting, LongValuesAreShortened) {
  std::string long_value(200, 'a');
  EXPECT_EQ(set_error("log.level=" + long_value),
            "config: log.level: expected one of trace, debug, info, warn, error, off, got \"" +
                std::string(76, 'a') + "... (from --set)");
}

}  // namespace
}  // namespace trellis::config
