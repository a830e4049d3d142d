#pragma once
// The one table of configuration keys. Validation, --help, --print-config, the
// example file and the README's table are all derived from it, so a key added
// here is documented and checked everywhere at once. Key names are a contract.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace trellis::config {

enum class Type {
  boolean,
  integer,              // min..max inclusive
  string,               // optionally one of `choices`
  string_list,          // ["a", "b"]
  string_map,           // {"k": "v"}; keys integers in min..max when max > 0
  acl,                  // {"publish": [...], "subscribe": [...], "deny": [...]}
  bool_or_string_list,  // true / false / ["a", "b"]
};

// Rules beyond the type that a few keys need.
enum class Check {
  none,
  url_path,      // starts with '/'
  host_port,     // "" or "host:port" / "[v6]:port" with port 1..65535
  topic_name,    // MQTT topic name (no wildcards)
  topic_filter,  // MQTT topic filter
  topic_id_map,  // string_map of topic id -> topic name
  lwm2m_paths,   // list items are "/object[/instance[/resource[/ri]]]"
};

struct KeySpec {
  std::string key;
  Type type = Type::string;
  nlohmann::json default_value;  // null when the default is derived (see default_note)
  int64_t min = 0;
  int64_t max = 0;
  std::vector<std::string> choices;
  std::string help;
  Check check = Check::none;
  std::string default_note;  // how a derived default is worked out
};

// Every key, in the order --help and the docs list them.
const std::vector<KeySpec>& schema();

// nullptr when `key` is not in the schema.
const KeySpec* find_key(std::string_view key);

// "mqtt.tcp_port" -> "TRELLIS_MQTT_TCP_PORT".
std::string env_name(std::string_view key);

// Short type name for docs: "integer", "string list", ...
std::string_view type_name(Type type);

// What a value of this key must be, e.g. "an integer from 0 to 65535".
// `from_text` adds the spellings accepted from the environment and --set.
std::string expectation(const KeySpec& spec, bool from_text);

}  // namespace trellis::config
