#include "config/schema.hpp"

#include <algorithm>
#include <cctype>

namespace trellis::config {
namespace {

using nlohmann::json;

constexpr int64_t max_port = 65535;
constexpr int64_t max_seconds_i32 = 2147483647;

KeySpec make(std::string key, Type type, json def, std::string help) {
  KeySpec k;
  k.key = std::move(key);
  k.type = type;
  k.default_value = std::move(def);
  k.help = std::move(help);
  return k;
}

KeySpec boolean(std::string key, bool def, std::string help) {
  return make(std::move(key), Type::boolean, def, std::move(help));
}

KeySpec integer(std::string key, int64_t def, int64_t min, int64_t max, std::string help) {
  KeySpec k = make(std::move(key), Type::integer, def, std::move(help));
  k.min = min;
  k.max = max;
  return k;
}

KeySpec port(std::string key, int64_t def, std::string help) {
  return integer(std::move(key), def, 0, max_port, std::move(help));
}

KeySpec text(std::string key, std::string def, std::string help, Check check = Check::none) {
  KeySpec k = make(std::move(key), Type::string, std::move(def), std::move(help));
  k.check = check;
  return k;
}

KeySpec choice(std::string key, std::string def, std::vector<std::string> choices,
               std::string help) {
  KeySpec k = make(std::move(key), Type::string, std::move(def), std::move(help));
  k.choices = std::move(choices);
  return k;
}

KeySpec list(std::string key, std::string help) {
  return make(std::move(key), Type::string_list, json::array(), std::move(help));
}

KeySpec derived_boolean(std::string key, std::string note, std::string help) {
  KeySpec k = make(std::move(key), Type::boolean, nullptr, std::move(help));
  k.default_note = std::move(note);
  return k;
}

std::vector<KeySpec> build_schema() {
  std::vector<KeySpec> s;
  s.push_back(text("data_dir", "./data",
                   "Folder for the database and generated files; created when missing."));
  s.push_back(integer("threads", 0, 0, 256,
                      "Threads running the I/O loop; 0 = one per CPU core but one (at least 1), "
                      "which leaves a core "
                      "to the database writer and the network stack."));
  s.push_back(integer("busy_poll_us", 0, 0, 10000,
                      "Microseconds an I/O thread with nothing to do keeps polling before it "
                      "sleeps; 0 = sleep at once. Spares messages that arrive within the window "
                      "the wake-up of a sleeping thread, and costs up to that much CPU time per "
                      "wake-up spared: at 10k messages/s, 200 keeps a core busy. Only with one "
                      "I/O thread (threads resolving to 1), and worth it only where that thread "
                      "has a CPU to itself."));
  s.push_back(choice("log.level", "info", {"trace", "debug", "info", "warn", "error", "off"},
                     "Lowest level written to the log."));

  // MQTT broker.
  s.push_back(text("mqtt.bind", "127.0.0.1",
                   "Address the MQTT listeners bind to; 0.0.0.0 or :: for every interface."));
  s.push_back(port("mqtt.tcp_port", 1883, "MQTT over TCP; 0 = off."));
  s.push_back(port("mqtt.tls_port", 8883,
                   "MQTT over TLS; 0 = off. Listens only when mqtt.tls.cert and mqtt.tls.key "
                   "are set."));
  s.push_back(port("mqtt.ws_port", 8083, "MQTT over WebSocket; 0 = off."));
  s.push_back(port("mqtt.wss_port", 8084,
                   "MQTT over secure WebSocket; 0 = off. Listens only when mqtt.tls.cert and "
                   "mqtt.tls.key are set."));
  s.push_back(
      text("mqtt.ws_path", "/mqtt", "HTTP path of the WebSocket endpoints.", Check::url_path));
  s.push_back(text("mqtt.tls.cert", "", "PEM certificate chain for TLS and WSS."));
  s.push_back(text("mqtt.tls.key", "", "PEM private key for TLS and WSS."));
  s.push_back(
      text("mqtt.tls.ca", "", "PEM CA certificates that client certificates must chain to."));
  s.push_back(boolean("mqtt.tls.require_client_cert", false,
                      "Refuse TLS and WSS clients without a certificate signed by mqtt.tls.ca."));
  s.push_back(derived_boolean("mqtt.allow_anonymous",
                              "true when mqtt.bind is a loopback address, else false",
                              "Accept MQTT clients that give no username. A non-loopback bind "
                              "with anonymous access must say so explicitly."));
  s.push_back(make("mqtt.anonymous_acl", Type::acl,
                   {{"publish", {"#"}}, {"subscribe", {"#"}}, {"deny", json::array()}},
                   "Topic filters anonymous clients may publish and subscribe to; deny wins "
                   "over both."));
  s.push_back(integer("mqtt.connect_timeout", 10, 1, 3600,
                      "Seconds a new connection has to complete its handshake and CONNECT."));
  s.push_back(integer("mqtt.max_packet_size", 1048576, 16, 268435455,
                      "Largest MQTT packet accepted, in bytes."));
  s.push_back(integer("mqtt.max_inflight", 32, 1, 65535,
                      "QoS 1 and 2 messages in flight to one client at a time."));
  s.push_back(integer("mqtt.max_queued_messages", 1000, 0, 10000000,
                      "Messages queued for one client beyond those in flight; more are dropped."));
  s.push_back(integer("mqtt.sys_interval", 10, 0, 86400,
                      "Seconds between $SYS/broker/... updates; 0 = off."));
  s.push_back(integer("mqtt.autosave_interval", 60, 0, 86400,
                      "Seconds between saves of the persistent sessions (also saved at shutdown); "
                      "0 = only at shutdown."));
  s.push_back(integer("mqtt.max_connections", 0, 0, 10000000,
                      "Most MQTT clients connected at once; 0 = unlimited."));

  // MQTT-SN gateway.
  s.push_back(text("mqttsn.bind", "127.0.0.1", "Address the MQTT-SN gateway binds to."));
  s.push_back(port("mqttsn.port", 1884, "MQTT-SN over UDP; 0 = off."));
  s.push_back(integer("mqttsn.gateway_id", 1, 0, 255, "Gateway id sent in ADVERTISE and GWINFO."));
  KeySpec predefined = make("mqttsn.predefined_topics", Type::string_map, json::object(),
                            "Predefined topic ids and their topic names, e.g. "
                            "{\"1\": \"sensors/temp\"}.");
  // 0x0000 and 0xFFFF are reserved (MQTT-SN 1.2, 5.3.11).
  predefined.min = 1;
  predefined.max = 65534;
  predefined.check = Check::topic_id_map;
  s.push_back(std::move(predefined));
  s.push_back(integer("mqttsn.advertise_interval", 0, 0, 65535,
                      "Seconds between ADVERTISE broadcasts; 0 = off."));
  s.push_back(text("mqttsn.advertise_address", "",
                   "Broadcast or multicast \"ip:port\" that ADVERTISE is sent to.",
                   Check::host_port));
  s.push_back(integer("mqttsn.retry_interval", 10, 1, 3600,
                      "Seconds before an unacknowledged message is sent again."));
  s.push_back(integer("mqttsn.max_retries", 5, 0, 100,
                      "Retransmissions before a client is considered lost."));
  s.push_back(boolean("mqttsn.require_registered", false,
                      "Accept only MQTT-SN clients whose client id belongs to a registered "
                      "device."));
  s.push_back(integer("mqttsn.max_buffered_messages", 100, 0, 100000,
                      "Messages kept for one sleeping client; older ones are dropped."));

  // LwM2M server.
  s.push_back(text("lwm2m.bind", "127.0.0.1", "Address the LwM2M server binds to."));
  s.push_back(port("lwm2m.coap_port", 5683, "LwM2M over CoAP (UDP); 0 = off."));
  s.push_back(port("lwm2m.dtls_port", 5684, "LwM2M over CoAP with DTLS; 0 = off."));
  s.push_back(list("lwm2m.xml_dirs",
                   "Extra folders of LwM2M object XML; the shipped objects/xml is always "
                   "loaded."));
  s.push_back(text("lwm2m.topic_prefix", "lwm2m",
                   "First topic level of the LwM2M JSON command topics.", Check::topic_name));
  s.push_back(integer("lwm2m.lifetime_min", 15, 1, max_seconds_i32,
                      "Shortest registration lifetime accepted, in seconds."));
  s.push_back(integer("lwm2m.lifetime_max", 86400, 1, max_seconds_i32,
                      "Longest registration lifetime accepted, in seconds."));
  s.push_back(integer("lwm2m.qmode_time_window", 22, 1, 86400,
                      "Seconds a queue-mode client stays reachable after it last sent."));
  s.push_back(integer("lwm2m.request_timeout_s", 10, 1, 3600,
                      "Seconds to wait for a client's answer to a request."));
  KeySpec observe = make("lwm2m.auto_observe", Type::bool_or_string_list, false,
                         "Observe on registration: true for every object the client lists, or "
                         "a list of paths such as [\"/3303/0/5700\"].");
  observe.check = Check::lwm2m_paths;
  s.push_back(std::move(observe));
  s.push_back(text("lwm2m.topics.command", "dn/#",
                   "Command topic filter under {prefix}/{endpoint}/.", Check::topic_filter));
  s.push_back(text("lwm2m.topics.response", "up/resp",
                   "Topic of command responses under {prefix}/{endpoint}/.", Check::topic_name));
  s.push_back(text("lwm2m.topics.notify", "up/notify",
                   "Topic of observe notifications under {prefix}/{endpoint}/.",
                   Check::topic_name));
  s.push_back(text("lwm2m.topics.register", "up/resp",
                   "Topic of registration events under {prefix}/{endpoint}/.", Check::topic_name));
  s.push_back(text("lwm2m.topics.update", "up/update",
                   "Topic of registration updates under {prefix}/{endpoint}/.", Check::topic_name));
  s.push_back(text("lwm2m.dtls.cert", "", "PEM certificate for DTLS with certificates."));
  s.push_back(text("lwm2m.dtls.key", "", "PEM private key for DTLS with certificates."));
  s.push_back(
      text("lwm2m.dtls.ca", "", "PEM CA certificates that client certificates must chain to."));

  // REST API.
  s.push_back(text("http.bind", "127.0.0.1", "Address the REST API binds to."));
  s.push_back(port("http.port", 8080, "REST API (and Prometheus /metrics) over HTTP; 0 = off."));
  s.push_back(list("http.api_keys",
                   "API keys accepted as bearer tokens; none are needed while empty and bound to "
                   "loopback."));
  s.push_back(integer("http.max_body_size", 1048576, 1024, 1073741824,
                      "Largest request body accepted, in bytes."));

  // Storage and platform behaviour.
  s.push_back(text("db.path", "",
                   "SQLite database file; empty = trellis.db inside data_dir, a relative path is "
                   "relative to data_dir."));
  s.push_back(boolean("registry.auto_register", true,
                      "Create a device when an unknown client connects or registers."));
  s.push_back(integer("telemetry.retention_days", 0, 0, 36500,
                      "Days telemetry points are kept; 0 = forever."));
  s.push_back(integer("telemetry.batch_size", 50000, 1, 1000000,
                      "Most telemetry points written in one transaction."));
  s.push_back(integer("telemetry.flush_interval_ms", 50, 1, 60000,
                      "Longest a telemetry point waits before it is written, in milliseconds."));
  s.push_back(integer("telemetry.max_backlog_mb", 64, 1, 65536,
                      "Memory that telemetry waiting to be stored may take, in MiB; past it, MQTT "
                      "clients sending telemetry are not read until half of it is written."));
  s.push_back(integer("commands.timeout_s", 60, 1, 86400,
                      "Seconds before a sent command without an answer is marked timed_out."));
  s.push_back(integer("commands.max_backlog_mb", 16, 1, 4096,
                      "Memory that device acks waiting to be handled may take, in MiB; past it, "
                      "MQTT clients sending acks are not read until half of it is handled."));
  return s;
}

}  // namespace

const std::vector<KeySpec>& schema() {
  static const std::vector<KeySpec> table = build_schema();
  return table;
}

const KeySpec* find_key(std::string_view key) {
  const auto& s = schema();
  auto it = std::find_if(s.begin(), s.end(), [&](const KeySpec& k) { return k.key == key; });
  return it == s.end() ? nullptr : &*it;
}

std::string env_name(std::string_view key) {
  std::string out = "TRELLIS_";
  for (char c : key) {
    out += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string_view type_name(Type type) {
  switch (type) {
    case Type::boolean:
      return "boolean";
    case Type::integer:
      return "integer";
    case Type::string:
      return "string";
    case Type::string_list:
      return "string list";
    case Type::string_map:
      return "string map";
    case Type::acl:
      return "ACL";
    case Type::bool_or_string_list:
      return "boolean or string list";
  }
  return "?";
}

std::string expectation(const KeySpec& spec, bool from_text) {
  switch (spec.check) {
    case Check::url_path:
      return "a path starting with '/'";
    case Check::host_port:
      return "\"\" or an \"ip:port\" address";
    case Check::topic_name:
      return "an MQTT topic name without wildcards";
    case Check::topic_filter:
      return "an MQTT topic filter";
    case Check::topic_id_map:
      return "an object mapping topic ids from " + std::to_string(spec.min) + " to " +
             std::to_string(spec.max) + " to MQTT topic names";
    case Check::lwm2m_paths:
      return from_text ? "true, false, yes, no, on, off, 1, 0 or a list of LwM2M paths like "
                         "\"/3303/0/5700\""
                       : "true, false or a list of LwM2M paths like \"/3303/0/5700\"";
    case Check::none:
      break;
  }
  switch (spec.type) {
    case Type::boolean:
      return from_text ? "true, false, yes, no, on, off, 1 or 0" : "true or false";
    case Type::integer:
      return "an integer from " + std::to_string(spec.min) + " to " + std::to_string(spec.max);
    case Type::string: {
      if (spec.choices.empty()) return "a string";
      std::string out = "one of ";
      for (std::size_t i = 0; i < spec.choices.size(); ++i) {
        if (i > 0) out += ", ";
        out += spec.choices[i];
      }
      return out;
    }
    case Type::string_list:
      return from_text ? "a list of strings (a JSON array or comma separated)"
                       : "a list of strings";
    case Type::string_map:
      return "an object of strings";
    case Type::acl:
      return "an object {\"publish\": [...], \"subscribe\": [...], \"deny\": [...]} of MQTT "
             "topic filters";
    case Type::bool_or_string_list:
      return from_text ? "true, false, yes, no, on, off, 1, 0 or a list of strings"
                       : "true, false or a list of strings";
  }
  return "?";
}

}  // namespace trellis::config
