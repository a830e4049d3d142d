// The schema is a contract: key names, defaults and ranges are what scripts and
// users rely on, so each is spelled out here once more.
#include <gtest/gtest.h>

#include <set>

#include "config/config.hpp"
#include "config/schema.hpp"

namespace trellis::config {
namespace {

using nlohmann::json;

struct Expected {
  const char* key;
  json value;
};

// Every key with its default (mqtt.allow_anonymous resolved for the loopback bind).
const std::vector<Expected>& contract() {
  static const std::vector<Expected> keys = {
      {"data_dir", "./data"},
      {"threads", 0},
      {"busy_poll_us", 0},
      {"log.level", "info"},
      {"mqtt.bind", "127.0.0.1"},
      {"mqtt.tcp_port", 1883},
      {"mqtt.tls_port", 8883},
      {"mqtt.ws_port", 8083},
      {"mqtt.wss_port", 8084},
      {"mqtt.ws_path", "/mqtt"},
      {"mqtt.tls.cert", ""},
      {"mqtt.tls.key", ""},
      {"mqtt.tls.ca", ""},
      {"mqtt.tls.require_client_cert", false},
      {"mqtt.allow_anonymous", true},
      {"mqtt.anonymous_acl", json{{"publish", json::array({"#"})},
                                  {"subscribe", json::array({"#"})},
                                  {"deny", json::array()}}},
      {"mqtt.connect_timeout", 10},
      {"mqtt.max_packet_size", 1048576},
      {"mqtt.max_inflight", 32},
      {"mqtt.max_queued_messages", 1000},
      {"mqtt.sys_interval", 10},
      {"mqtt.autosave_interval", 60},
      {"mqtt.max_connections", 0},
      {"mqttsn.bind", "127.0.0.1"},
      {"mqttsn.port", 1884},
      {"mqttsn.gateway_id", 1},
      {"mqttsn.predefined_topics", json::object()},
      {"mqttsn.advertise_interval", 0},
      {"mqttsn.advertise_address", ""},
      {"mqttsn.retry_interval", 10},
      {"mqttsn.max_retries", 5},
      {"mqttsn.require_registered", false},
      {"mqttsn.max_buffered_messages", 100},
      {"lwm2m.bind", "127.0.0.1"},
      {"lwm2m.coap_port", 5683},
      {"lwm2m.dtls_port", 5684},
      {"lwm2m.xml_dirs", json::array()},
      {"lwm2m.topic_prefix", "lwm2m"},
      {"lwm2m.lifetime_min", 15},
      {"lwm2m.lifetime_max", 86400},
      {"lwm2m.qmode_time_window", 22},
      {"lwm2m.request_timeout_s", 10},
      {"lwm2m.auto_observe", false},
      {"lwm2m.topics.command", "dn/#"},
      {"lwm2m.topics.response", "up/resp"},
      {"lwm2m.topics.notify", "up/notify"},
      {"lwm2m.topics.register", "up/resp"},
      {"lwm2m.topics.update", "up/update"},
      {"lwm2m.dtls.cert", ""},
      {"lwm2m.dtls.key", ""},
      {"lwm2m.dtls.ca", ""},
      {"http.bind", "127.0.0.1"},
      {"http.port", 8080},
      {"http.api_keys", json::array()},
      {"http.max_body_size", 1048576},
      {"db.path", ""},
      {"registry.auto_register", true},
      {"telemetry.retention_days", 0},
      {"telemetry.batch_size", 50000},
      {"telemetry.flush_interval_ms", 50},
      {"telemetry.max_backlog_mb", 64},
      {"commands.timeout_s", 60},
      {"commands.max_backlog_mb", 16},
  };
  return keys;
}

TEST(Schema, ListsExactlyTheContractKeysInOrder) {
  std::vector<std::string> want;
  for (const auto& e : contract()) want.push_back(e.key);
  std::vector<std::string> have;
  for (const auto& k : schema()) have.push_back(k.key);
  EXPECT_EQ(have, want);
}

TEST(Schema, EveryKeyHasItsContractDefault) {
  Config c = Config::defaults();
  for (const auto& e : contract()) {
    EXPECT_EQ(c.get(e.key), e.value) << e.key;
    EXPECT_EQ(c.origin(e.key), "default") << e.key;
  }
}

TEST(Schema, IntegerRangesMatchTheContract) {
  struct Range {
    const char* key;
    int64_t min, max;
  };
  const Range ranges[] = {
      {"threads", 0, 256},
      {"mqtt.tcp_port", 0, 65535},
      {"mqtt.tls_port", 0, 65535},
      {"mqtt.ws_port", 0, 65535},
      {"mqtt.wss_port", 0, 65535},
      {"mqtt.connect_timeout", 1, 3600},
      {"mqtt.max_packet_size", 16, 268435455},
      {"mqtt.max_inflight", 1, 65535},
      {"mqtt.max_queued_messages", 0, 10000000},
      {"mqtt.sys_interval", 0, 86400},
      {"mqtt.autosave_interval", 0, 86400},
      {"mqttsn.port", 0, 65535},
      {"mqttsn.gateway_id", 0, 255},
      {"mqttsn.advertise_interval", 0, 65535},
      {"mqttsn.retry_interval", 1, 3600},
      {"mqttsn.max_retries", 0, 100},
      {"mqttsn.max_buffered_messages", 0, 100000},
      {"lwm2m.coap_port", 0, 65535},
      {"lwm2m.dtls_port", 0, 65535},
      {"lwm2m.lifetime_min", 1, 2147483647},
      {"lwm2m.lifetime_max", 1, 2147483647},
      {"lwm2m.request_timeout_s", 1, 3600},
      {"http.port", 0, 65535},
      {"http.max_body_size", 1024, 1073741824},
      {"telemetry.retention_days", 0, 36500},
      {"telemetry.batch_size", 1, 1000000},
      {"telemetry.flush_interval_ms", 1, 60000},
      {"telemetry.max_backlog_mb", 1, 65536},
      {"commands.timeout_s", 1, 86400},
      {"commands.max_backlog_mb", 1, 4096},
  };
  for (const auto& r : ranges) {
    const KeySpec* k = find_key(r.key);
    ASSERT_NE(k, nullptr) << r.key;
    EXPECT_EQ(k->type, Type::integer) << r.key;
    EXPECT_EQ(k->min, r.min) << r.key;
    EXPECT_EQ(k->max, r.max) << r.key;
  }
}

TEST(Schema, LogLevelChoices) {
  EXPECT_EQ(find_key("log.level")->choices,
            (std::vector<std::string>{"trace", "debug", "info", "warn", "error", "off"}));
}

TEST(Schema, EveryDefaultPassesItsOwnCheck) {
  for (const auto& k : schema()) {
    if (k.default_value.is_null()) {
      EXPECT_FALSE(k.default_note.empty()) << k.key;
      continue;
    }
    EXPECT_FALSE(k.help.empty()) << k.key;
  }
  // Loading with nothing set runs every default through the cross-key checks.
  EXPECT_TRUE(load(CommandLine{}, nullptr).ok());
}

TEST(Schema, EnvNameIsUpperCaseWithUnderscores) {
  EXPECT_EQ(env_name("mqtt.tcp_port"), "TRELLIS_MQTT_TCP_PORT");
  EXPECT_EQ(env_name("data_dir"), "TRELLIS_DATA_DIR");
  EXPECT_EQ(env_name("lwm2m.topics.command"), "TRELLIS_LWM2M_TOPICS_COMMAND");
}

TEST(Schema, EnvNamesAreUnique) {
  std::set<std::string> names;
  for (const auto& k : schema()) EXPECT_TRUE(names.insert(env_name(k.key)).second) << k.key;
}

// A key that is also a group ("a.b" and "a.b.c") could not be written nested.
TEST(Schema, NoKeyIsAlsoAGroup) {
  for (const auto& a : schema()) {
    for (const auto& b : schema()) {
      EXPECT_FALSE(b.key.starts_with(a.key + ".")) << a.key << " / " << b.key;
    }
  }
}

TEST(Schema, FindKeyKnowsOnlySchemaKeys) {
  EXPECT_NE(find_key("mqtt.tcp_port"), nullptr);
  EXPECT_EQ(find_key("mqtt"), nullptr);
  EXPECT_EQ(find_key("mqtt.tcp_prot"), nullptr);
}

}  // namespace
}  // namespace trellis::config
