// Loading that succeeds: each source, the order they apply in, and the values
// derived from others.
#include <gtest/gtest.h>

#include <thread>

#include "config/config.hpp"
#include "test_support.hpp"

namespace trellis::config {
namespace {

using nlohmann::json;
using testing::fake_env;
using testing::no_env;
using testing::with_file;
using testing::with_sets;
using testing::write_temp;

Config must_load(const CommandLine& cl, const Getenv& env) {
  auto r = load(cl, env);
  if (!r.ok()) {
    ADD_FAILURE() << r.error().message;
    return Config::defaults();
  }
  return std::move(r.value());
}

TEST(LoadFile, NestedObjectsWithBothCommentStyles) {
  auto path = write_temp(R"({
  // line comment
  "mqtt": {
    "tcp_port": 1999, /* block comment */
    "tls": { "require_client_cert": true }
  },
  /* a block
     over lines */
  "log": { "level": "debug" },
  "data_dir": "/var/lib/trellis"
})");
  Config c = must_load(with_file(path), no_env());
  EXPECT_EQ(c.get_int("mqtt.tcp_port"), 1999);
  EXPECT_TRUE(c.get_bool("mqtt.tls.require_client_cert"));
  EXPECT_EQ(c.get_string("log.level"), "debug");
  EXPECT_EQ(c.get_string("data_dir"), "/var/lib/trellis");
  EXPECT_EQ(c.origin("mqtt.tcp_port"), path);
  EXPECT_EQ(c.origin("mqtt.ws_port"), "default");
}

TEST(LoadFile, FlatDottedKeys) {
  auto path = write_temp(R"({"mqtt.tcp_port": 1, "lwm2m.topics.command": "cmd/#"})");
  Config c = must_load(with_file(path), no_env());
  EXPECT_EQ(c.get_int("mqtt.tcp_port"), 1);
  EXPECT_EQ(c.get_string("lwm2m.topics.command"), "cmd/#");
}

TEST(LoadFile, NestedAndFlatMixed) {
  auto path = write_temp(R"({"mqtt": {"tls.cert": "c.pem", "tls": {"key": "k.pem"}}})");
  Config c = must_load(with_file(path), no_env());
  EXPECT_EQ(c.get_string("mqtt.tls.cert"), "c.pem");
  EXPECT_EQ(c.get_string("mqtt.tls.key"), "k.pem");
}

TEST(LoadFile, EmptyObjectKeepsDefaults) {
  Config c = must_load(with_file(write_temp("{}")), no_env());
  EXPECT_EQ(c.to_nested_json(), Config::defaults().to_nested_json());
}

// Object-valued keys are values, not groups to walk into.
TEST(LoadFile, ObjectValuedKeys) {
  auto path = write_temp(R"({
  "mqttsn": {"predefined_topics": {"1": "sensors/temp", "65534": "x"}},
  "mqtt": {"anonymous_acl": {"publish": ["a/+"], "deny": ["$SYS/#"]}}
})");
  Config c = must_load(with_file(path), no_env());
  EXPECT_EQ(c.get_map("mqttsn.predefined_topics"),
            (std::map<std::string, std::string>{{"1", "sensors/temp"}, {"65534", "x"}}));
  Acl acl = c.get_acl("mqtt.anonymous_acl");
  EXPECT_EQ(acl.publish, (std::vector<std::string>{"a/+"}));
  EXPECT_TRUE(acl.subscribe.empty());  // a missing list allows nothing
  EXPECT_EQ(acl.deny, (std::vector<std::string>{"$SYS/#"}));
  EXPECT_EQ(c.get("mqtt.anonymous_acl")["subscribe"], json::array());
}

TEST(LoadFile, AutoObserveAsListOrBoolean) {
  Config c = must_load(
      with_file(write_temp(R"({"lwm2m": {"auto_observe": ["/3303/0/5700", "/3", "/1/2/3/4"]}})")),
      no_env());
  EXPECT_EQ(c.get("lwm2m.auto_observe"), json({"/3303/0/5700", "/3", "/1/2/3/4"}));
}

TEST(LoadSet, OverridesOneKey) {
  Config c = must_load(with_sets({"mqtt.tcp_port=2000"}), no_env());
  EXPECT_EQ(c.get_int("mqtt.tcp_port"), 2000);
  EXPECT_EQ(c.origin("mqtt.tcp_port"), "--set");
  EXPECT_EQ(c.get_int("mqtt.tls_port"), 8883);
}

TEST(LoadSet, RepeatableAndTheLastWins) {
  Config c = must_load(with_sets({"threads=2", "log.level=warn", "threads=3"}), no_env());
  EXPECT_EQ(c.get_int("threads"), 3);
  EXPECT_EQ(c.get_string("log.level"), "warn");
}

TEST(LoadSet, ValueKeepsEqualsSignsAndSpaces) {
  Config c = must_load(with_sets({"mqtt.ws_path=/a=b", "data_dir= /x y"}), no_env());
  EXPECT_EQ(c.get_string("mqtt.ws_path"), "/a=b");
  EXPECT_EQ(c.get_string("data_dir"), " /x y");
}

TEST(LoadSet, EmptyValueForAString) {
  Config c = must_load(with_sets({"lwm2m.topic_prefix=lw", "mqtt.tls.ca="}), no_env());
  EXPECT_EQ(c.get_string("mqtt.tls.ca"), "");
}

TEST(LoadSet, BooleanSpellings) {
  for (const char* yes : {"true", "TRUE", "1", "yes", "Yes", "on", " on "}) {
    Config c = must_load(with_sets({std::string("mqttsn.require_registered=") + yes}), no_env());
    EXPECT_TRUE(c.get_bool("mqttsn.require_registered")) << yes;
  }
  for (const char* no : {"false", "False", "0", "no", "off", "OFF"}) {
    Config c = must_load(with_sets({std::string("registry.auto_register=") + no}), no_env());
    EXPECT_FALSE(c.get_bool("registry.auto_register")) << no;
  }
}

TEST(LoadSet, IntegersMayHaveSurroundingSpaces) {
  Config c = must_load(with_sets({"threads= 4 "}), no_env());
  EXPECT_EQ(c.get_int("threads"), 4);
}

TEST(LoadSet, ListAsJsonArray) {
  Config c = must_load(with_sets({R"(http.api_keys=["k1", "k,2"])"}), no_env());
  EXPECT_EQ(c.get_strings("http.api_keys"), (std::vector<std::string>{"k1", "k,2"}));
}

TEST(LoadSet, ListCommaSeparated) {
  Config c = must_load(with_sets({"lwm2m.xml_dirs= /a , /b,,/c,"}), no_env());
  EXPECT_EQ(c.get_strings("lwm2m.xml_dirs"), (std::vector<std::string>{"/a", "/b", "/c"}));
}

TEST(LoadSet, EmptyListText) {
  Config c = must_load(with_sets({"http.api_keys=k", "http.api_keys="}), no_env());
  EXPECT_TRUE(c.get_strings("http.api_keys").empty());
}

TEST(LoadSet, MapAsJson) {
  Config c = must_load(with_sets({R"(mqttsn.predefined_topics={"7": "a/b"})"}), no_env());
  EXPECT_EQ(c.get_map("mqttsn.predefined_topics"),
            (std::map<std::string, std::string>{{"7", "a/b"}}));
}

TEST(LoadSet, AclAsJson) {
  Config c = must_load(
      with_sets({R"(mqtt.anonymous_acl={"publish": [], "subscribe": ["public/#"]})"}), no_env());
  Acl acl = c.get_acl("mqtt.anonymous_acl");
  EXPECT_TRUE(acl.publish.empty());
  EXPECT_EQ(acl.subscribe, (std::vector<std::string>{"public/#"}));
}

TEST(LoadSet, AutoObserveBooleanWordOrList) {
  EXPECT_EQ(must_load(with_sets({"lwm2m.auto_observe=yes"}), no_env()).get("lwm2m.auto_observe"),
            json(true));
  EXPECT_EQ(must_load(with_sets({"lwm2m.auto_observe=/3303/0/5700,/3/0"}), no_env())
                .get("lwm2m.auto_observe"),
            json({"/3303/0/5700", "/3/0"}));
  EXPECT_EQ(
      must_load(with_sets({R"(lwm2m.auto_observe=["/3"])"}), no_env()).get("lwm2m.auto_observe"),
      json({"/3"}));
}

TEST(LoadEnv, OverridesKeys) {
  Config c = must_load(CommandLine{}, fake_env({{"TRELLIS_MQTT_TCP_PORT", "1900"},
                                                {"TRELLIS_LOG_LEVEL", "error"},
                                                {"TRELLIS_HTTP_API_KEYS", "a,b"}}));
  EXPECT_EQ(c.get_int("mqtt.tcp_port"), 1900);
  EXPECT_EQ(c.origin("mqtt.tcp_port"), "TRELLIS_MQTT_TCP_PORT");
  EXPECT_EQ(c.get_string("log.level"), "error");
  EXPECT_EQ(c.get_strings("http.api_keys"), (std::vector<std::string>{"a", "b"}));
}

TEST(LoadEnv, OnlyKnownKeyNamesAreLookedAt) {
  std::vector<std::string> asked;
  Getenv spy = [&](const std::string& name) -> std::optional<std::string> {
    asked.push_back(name);
    if (name == "TRELLIS_BIN") return "/usr/bin/trellis";  // never asked, so never an error
    return std::nullopt;
  };
  ASSERT_TRUE(load(CommandLine{}, spy).ok());
  ASSERT_EQ(asked.size(), schema().size());
  for (std::size_t i = 0; i < asked.size(); ++i) EXPECT_EQ(asked[i], env_name(schema()[i].key));
}

TEST(LoadEnv, UnrelatedTrellisVariablesAreIgnored) {
  EXPECT_TRUE(load(CommandLine{}, fake_env({{"TRELLIS_BIN", "x"}, {"TRELLIS_MQTT", "y"}})).ok());
}

TEST(Precedence, DefaultsThenFileThenEnvironmentThenSet) {
  auto path = write_temp(R"({"mqtt": {"tcp_port": 1001, "tls_port": 1002, "ws_port": 1003}})");
  auto env = fake_env({{"TRELLIS_MQTT_TLS_PORT", "2002"}, {"TRELLIS_MQTT_WS_PORT", "2003"}});
  CommandLine cl = with_file(path);
  cl.sets = {"mqtt.ws_port=3003"};
  Config c = must_load(cl, env);
  EXPECT_EQ(c.get_int("mqtt.wss_port"), 8084);  // default
  EXPECT_EQ(c.get_int("mqtt.tcp_port"), 1001);  // file over default
  EXPECT_EQ(c.get_int("mqtt.tls_port"), 2002);  // environment over file
  EXPECT_EQ(c.get_int("mqtt.ws_port"), 3003);   // --set over environment
  EXPECT_EQ(c.origin("mqtt.wss_port"), "default");
  EXPECT_EQ(c.origin("mqtt.tcp_port"), path);
  EXPECT_EQ(c.origin("mqtt.tls_port"), "TRELLIS_MQTT_TLS_PORT");
  EXPECT_EQ(c.origin("mqtt.ws_port"), "--set");
}

TEST(AllowAnonymous, TrueByDefaultOnLoopbackBinds) {
  for (const char* bind :
       {"127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LocalHost", "::ffff:127.0.0.1"}) {
    Config c = must_load(with_sets({std::string("mqtt.bind=") + bind}), no_env());
    EXPECT_TRUE(c.get_bool("mqtt.allow_anonymous")) << bind;
    EXPECT_EQ(c.origin("mqtt.allow_anonymous"), "default");
  }
}

TEST(AllowAnonymous, FalseByDefaultOnOtherBinds) {
  for (const char* bind : {"0.0.0.0", "::", "192.168.1.10", "128.0.0.1", "example.com", "::2"}) {
    Config c = must_load(with_sets({std::string("mqtt.bind=") + bind}), no_env());
    EXPECT_FALSE(c.get_bool("mqtt.allow_anonymous")) << bind;
  }
}

TEST(AllowAnonymous, ExplicitValueWins) {
  Config open = must_load(with_sets({"mqtt.bind=0.0.0.0", "mqtt.allow_anonymous=true"}), no_env());
  EXPECT_TRUE(open.get_bool("mqtt.allow_anonymous"));
  Config closed = must_load(CommandLine{}, fake_env({{"TRELLIS_MQTT_ALLOW_ANONYMOUS", "false"}}));
  EXPECT_FALSE(closed.get_bool("mqtt.allow_anonymous"));
}

TEST(AllowAnonymous, PrintConfigShowsTheResolvedValue) {
  Config c = must_load(with_sets({"mqtt.bind=0.0.0.0"}), no_env());
  EXPECT_EQ(c.to_nested_json()["mqtt"]["allow_anonymous"], json(false));
  EXPECT_NE(c.dump().find("\"allow_anonymous\": false"), std::string::npos);
}

TEST(PrintConfig, NestedJson) {
  json j = Config::defaults().to_nested_json();
  EXPECT_EQ(j["mqtt"]["tcp_port"], 1883);
  EXPECT_EQ(j["mqtt"]["tls"]["cert"], "");
  EXPECT_EQ(j["lwm2m"]["topics"]["command"], "dn/#");
  EXPECT_EQ(j["data_dir"], "./data");
  EXPECT_FALSE(j.contains("mqtt.tcp_port"));
}

TEST(PrintConfig, DumpFollowsSchemaOrder) {
  std::string text = Config::defaults().dump();
  EXPECT_EQ(text.rfind("{\n  \"data_dir\": \"./data\",\n  \"threads\": 0,\n", 0), 0u) << text;
  EXPECT_LT(text.find("\"tcp_port\""), text.find("\"tls_port\""));
  EXPECT_EQ(json::parse(text), Config::defaults().to_nested_json());
}

TEST(PrintConfig, RoundTripsThroughLoad) {
  Config first =
      must_load(with_sets({"mqtt.tcp_port=1", "mqtt.bind=0.0.0.0", "http.api_keys=a,b",
                           R"(mqttsn.predefined_topics={"3": "t"})", "lwm2m.auto_observe=/3/0",
                           "mqtt.tls.cert=c.pem", "mqtt.tls.key=k.pem", "log.level=trace"}),
                no_env());
  Config second = must_load(with_file(write_temp(first.dump())), no_env());
  EXPECT_EQ(second.to_nested_json(), first.to_nested_json());
  EXPECT_FALSE(second.get_bool("mqtt.allow_anonymous"));
}

TEST(DbPath, DefaultsToTrellisDbInsideDataDir) {
  Config c = must_load(with_sets({"data_dir=/srv/t"}), no_env());
  EXPECT_EQ(c.db_path(), std::filesystem::path("/srv/t/trellis.db"));
}

TEST(DbPath, RelativePathIsInsideDataDir) {
  Config c = must_load(with_sets({"data_dir=/srv/t", "db.path=db/main.sqlite"}), no_env());
  EXPECT_EQ(c.db_path(), std::filesystem::path("/srv/t/db/main.sqlite"));
}

TEST(DbPath, AbsolutePathStandsAlone) {
  Config c = must_load(with_sets({"data_dir=/srv/t", "db.path=/var/db/t.db"}), no_env());
  EXPECT_EQ(c.db_path(), std::filesystem::path("/var/db/t.db"));
}

TEST(Threads, ZeroMeansOnePerCore) {
  // 0: one I/O thread per core but one, at least one.
  EXPECT_EQ(Config::defaults().thread_count(),
            std::max(2u, std::thread::hardware_concurrency()) - 1);
  EXPECT_EQ(must_load(with_sets({"threads=3"}), no_env()).thread_count(), 3u);
}

TEST(Loopback, Addresses) {
  EXPECT_TRUE(is_loopback_address("127.0.0.1"));
  EXPECT_TRUE(is_loopback_address("127.255.255.254"));
  EXPECT_TRUE(is_loopback_address("::1"));
  EXPECT_TRUE(is_loopback_address("0:0:0:0:0:0:0:1"));
  EXPECT_TRUE(is_loopback_address("localhost"));
  EXPECT_FALSE(is_loopback_address(""));
  EXPECT_FALSE(is_loopback_address("0.0.0.0"));
  EXPECT_FALSE(is_loopback_address("::"));
  EXPECT_FALSE(is_loopback_address("10.0.0.1"));
  EXPECT_FALSE(is_loopback_address("localhost.example.com"));
}

TEST(AccessDeathTest, KeyNotInTheSchemaAbortsNamingIt) {
  Config c = Config::defaults();
  EXPECT_DEATH((void)c.get_int("mqtt.tcp_prot"), "mqtt.tcp_prot: not a key in the config schema");
  EXPECT_DEATH((void)c.get("nope"), "nope: not a key");
}

TEST(AccessDeathTest, WrongTypeAbortsNamingTheKey) {
  Config c = Config::defaults();
  EXPECT_DEATH((void)c.get_string("mqtt.tcp_port"),
               "mqtt.tcp_port: read as the wrong type; the schema says integer");
  EXPECT_DEATH((void)c.get_bool("log.level"), "log.level: read as the wrong type");
}

}  // namespace
}  // namespace trellis::config
