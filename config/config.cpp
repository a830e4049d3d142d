#include "config/config.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "config/value.hpp"
#include "core/topic.hpp"

namespace trellis::config {

using nlohmann::json;

namespace {

constexpr std::string_view default_origin = "default";

[[noreturn]] void misuse(std::string_view key, std::string_view what) {
  std::fprintf(stderr, "trellis::config: %.*s: %.*s\n", static_cast<int>(key.size()), key.data(),
               static_cast<int>(what.size()), what.data());
  std::abort();
}

bool is_key_prefix(std::string_view prefix) {
  return std::any_of(schema().begin(), schema().end(), [&](const KeySpec& k) {
    return k.key.size() > prefix.size() && k.key.starts_with(prefix) && k.key[prefix.size()] == '.';
  });
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string_view last_segment(std::string_view key) {
  auto dot = key.rfind('.');
  return dot == std::string_view::npos ? key : key.substr(dot + 1);
}

// The closest known key to a misspelt one, when there is a convincing one.
std::optional<std::string> suggest(std::string_view unknown) {
  const KeySpec* best = nullptr;
  std::size_t best_distance = 3;  // more than two edits away is a different word
  for (const auto& k : schema()) {
    std::size_t d = edit_distance(unknown, k.key);
    if (d < best_distance) {
      best = &k;
      best_distance = d;
    }
  }
  if (best) return best->key;
  // "tcp_port" for "mqtt.tcp_port": the right name in the wrong place, when only
  // one key could be meant ("bind" could be any of four).
  std::optional<std::string> match;
  for (const auto& k : schema()) {
    if (last_segment(k.key) != last_segment(unknown)) continue;
    if (match) return std::nullopt;
    match = k.key;
  }
  return match;
}

// nlohmann says "[json.exception.parse_error.101] parse error at line 3, column 5:
// syntax error ..."; the part from "line" on is what a person needs.
std::string describe_json_error(const json::parse_error& e) {
  std::string what = e.what();
  constexpr std::string_view marker = "parse error at ";
  auto at = what.find(marker);
  return at == std::string::npos ? what : what.substr(at + marker.size());
}

}  // namespace

// Applies one source after another onto a Config, collecting every error.
class Loader {
 public:
  Loader() {
    for (const auto& spec : schema()) {
      config_.entries_.emplace(spec.key,
                               Config::Entry{spec.default_value, std::string(default_origin)});
    }
  }

  void read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      fail("config: cannot read " + path + ": " + std::strerror(errno));
      return;
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) {
      fail("config: cannot read " + path + ": " + std::strerror(errno));
      return;
    }
    std::string text = buffer.str();
    json doc;
    try {
      doc = json::parse(text, nullptr, /*allow_exceptions=*/true, /*ignore_comments=*/true);
    } catch (const json::parse_error& e) {
      fail("config: " + path + ": invalid JSON at " + describe_json_error(e));
      return;
    }
    if (!doc.is_object()) {
      fail("config: " + path + ": expected a JSON object at the top level, got " + show(doc));
      return;
    }
    std::set<std::string> seen;
    walk(doc, "", path, seen);
  }

  void read_env(const Getenv& getenv) {
    for (const auto& spec : schema()) {
      std::string name = env_name(spec.key);
      if (auto text = getenv(name)) apply_text(spec, *text, name);
    }
  }

  void read_set(const std::string& assignment) {
    auto eq = assignment.find('=');
    std::string key = assignment.substr(0, eq);
    if (eq == std::string::npos || key.empty()) {
      fail("config: --set " + show(json(assignment)) + ": expected key=value");
      return;
    }
    const KeySpec* spec = find_key(key);
    if (!spec) {
      unknown_key(key, "--set");
      return;
    }
    apply_text(*spec, std::string_view(assignment).substr(eq + 1), "--set");
  }

  void resolve_derived() {
    auto& anon = config_.entries_.at("mqtt.allow_anonymous");
    if (anon.value.is_null()) {
      anon.value = is_loopback_address(config_.get_string("mqtt.bind"));
    }
  }

  void check_across_keys() {
    const auto& lo = config_.entries_.at("lwm2m.lifetime_min");
    const auto& hi = config_.entries_.at("lwm2m.lifetime_max");
    if (lo.value.get<int64_t>() > hi.value.get<int64_t>()) {
      // Blame the one that was set; both set, the lower bound.
      if (lo.origin != default_origin || hi.origin == default_origin) {
        fail("config: lwm2m.lifetime_min: expected at most lwm2m.lifetime_max (" + hi.value.dump() +
             "), got " + lo.value.dump() + " (from " + lo.origin + ")");
      } else {
        fail("config: lwm2m.lifetime_max: expected at least lwm2m.lifetime_min (" +
             lo.value.dump() + "), got " + hi.value.dump() + " (from " + hi.origin + ")");
      }
    }
    require_pair("mqtt.tls.cert", "mqtt.tls.key");
    require_pair("lwm2m.dtls.cert", "lwm2m.dtls.key");
    check_lwm2m_topic_depth();
  }

  Result<Config> finish() {
    if (!errors_.empty()) {
      std::string message;
      for (const auto& e : errors_) {
        if (!message.empty()) message += '\n';
        message += e;
      }
      return make_error("config", std::move(message));
    }
    return std::move(config_);
  }

  bool failed() const { return !errors_.empty(); }

 private:
  void fail(std::string message) { errors_.push_back(std::move(message)); }

  void unknown_key(std::string_view key, std::string_view origin) {
    std::string message =
        "config: " + std::string(key) + ": unknown key (from " + std::string(origin) + ")";
    if (auto s = suggest(key)) message += "; did you mean " + *s + "?";
    fail(std::move(message));
  }

  // A file may nest objects ({"mqtt": {"tcp_port": 1}}) or write dotted keys
  // flat ({"mqtt.tcp_port": 1}), or mix the two.
  void walk(const json& object, const std::string& prefix, const std::string& path,
            std::set<std::string>& seen) {
    for (const auto& [name, value] : object.items()) {
      std::string key = prefix.empty() ? name : prefix + "." + name;
      if (const KeySpec* spec = find_key(key)) {
        if (!seen.insert(key).second) {
          fail("config: " + key + ": given twice (from " + path + ")");
          continue;
        }
        json v = value;
        if (auto problem = check_json(*spec, v)) {
          refuse(*spec, *problem, v, path);
          continue;
        }
        set(key, std::move(v), path);
      } else if (is_key_prefix(key)) {
        if (value.is_object()) {
          walk(value, key, path, seen);
        } else {
          fail("config: " + key + ": expected an object of " + key + ".* keys, got " + show(value) +
               " (from " + path + ")");
        }
      } else {
        unknown_key(key, path);
      }
    }
  }

  void apply_text(const KeySpec& spec, std::string_view text, const std::string& origin) {
    auto parsed = parse_text(spec, text);
    if (parsed.problem) {
      refuse(spec, *parsed.problem, json(std::string(text)), origin);
      return;
    }
    set(spec.key, std::move(parsed.value), origin);
  }

  void refuse(const KeySpec& spec, const Problem& problem, const json& given,
              const std::string& origin) {
    fail("config: " + spec.key + ": expected " + problem.expected + ", got " +
         show(problem.got ? *problem.got : given) + " (from " + origin + ")");
  }

  void set(const std::string& key, json value, const std::string& origin) {
    auto& e = config_.entries_.at(key);
    e.value = std::move(value);
    e.origin = origin;
  }

  // Each key passes alone, but the LwM2M server publishes on (and subscribes
  // to) {prefix}/{endpoint}/{topic}: past the level limit, nothing there could
  // be routed, so say so at start-up rather than drop every message.
  void check_lwm2m_topic_depth() {
    const auto& prefix = config_.entries_.at("lwm2m.topic_prefix");
    for (const auto& spec : schema()) {
      if (!spec.key.starts_with("lwm2m.topics.")) continue;
      const auto& suffix = config_.entries_.at(spec.key);
      const std::string full =
          prefix.value.get<std::string>() + "/endpoint/" + suffix.value.get<std::string>();
      Status st = spec.check == Check::topic_filter ? topic::validate_filter(full)
                                                    : topic::validate_name(full);
      if (st) continue;
      // Blame the one that was set; both set, the suffix.
      const bool blame_prefix = suffix.origin == default_origin;
      fail("config: " + (blame_prefix ? std::string("lwm2m.topic_prefix") : spec.key) +
           ": {lwm2m.topic_prefix}/{endpoint}/{" + spec.key + "} is an invalid topic: " +
           st.error().message + " (from " + (blame_prefix ? prefix.origin : suffix.origin) + ")");
      return;
    }
  }

  void require_pair(const std::string& a, const std::string& b) {
    const auto& ea = config_.entries_.at(a);
    const auto& eb = config_.entries_.at(b);
    bool has_a = !ea.value.get_ref<const std::string&>().empty();
    bool has_b = !eb.value.get_ref<const std::string&>().empty();
    if (has_a && !has_b) {
      fail("config: " + b + ": expected a file name because " + a + " is set (from " + ea.origin +
           ")");
    } else if (has_b && !has_a) {
      fail("config: " + a + ": expected a file name because " + b + " is set (from " + eb.origin +
           ")");
    }
  }

  Config config_;
  std::vector<std::string> errors_;
};

Config Config::defaults() {
  Loader loader;
  loader.resolve_derived();
  return loader.finish().value();
}

const Config::Entry& Config::entry(std::string_view key, std::initializer_list<Type> types) const {
  const KeySpec* spec = find_key(key);
  if (!spec) misuse(key, "not a key in the config schema");
  if (types.size() > 0 && std::find(types.begin(), types.end(), spec->type) == types.end()) {
    misuse(key, "read as the wrong type; the schema says " + std::string(type_name(spec->type)));
  }
  return entries_.find(key)->second;
}

bool Config::get_bool(std::string_view key) const {
  return entry(key, {Type::boolean}).value.get<bool>();
}

int64_t Config::get_int(std::string_view key) const {
  return entry(key, {Type::integer}).value.get<int64_t>();
}

const std::string& Config::get_string(std::string_view key) const {
  return entry(key, {Type::string}).value.get_ref<const std::string&>();
}

std::vector<std::string> Config::get_strings(std::string_view key) const {
  const auto& value = entry(key, {Type::string_list, Type::bool_or_string_list}).value;
  if (value.is_boolean()) return {};
  return value.get<std::vector<std::string>>();
}

std::map<std::string, std::string> Config::get_map(std::string_view key) const {
  return entry(key, {Type::string_map}).value.get<std::map<std::string, std::string>>();
}

Acl Config::get_acl(std::string_view key) const {
  const json& v = entry(key, {Type::acl}).value;
  Acl acl;
  acl.publish = v.value("publish", std::vector<std::string>{});
  acl.subscribe = v.value("subscribe", std::vector<std::string>{});
  acl.deny = v.value("deny", std::vector<std::string>{});
  return acl;
}

const json& Config::get(std::string_view key) const {
  return entry(key, {}).value;
}

const std::string& Config::origin(std::string_view key) const {
  return entry(key, {}).origin;
}

json Config::to_nested_json() const {
  json out = json::object();
  for (const auto& spec : schema()) {
    json::json_pointer pointer("/" + [&] {
      std::string p = spec.key;
      std::replace(p.begin(), p.end(), '.', '/');
      return p;
    }());
    out[pointer] = entries_.find(spec.key)->second.value;
  }
  return out;
}

std::string Config::dump() const {
  // ordered_json keeps the schema's order, which groups related keys.
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& spec : schema()) {
    nlohmann::ordered_json* node = &out;
    std::string_view rest = spec.key;
    for (auto dot = rest.find('.'); dot != std::string_view::npos; dot = rest.find('.')) {
      node = &(*node)[std::string(rest.substr(0, dot))];
      rest.remove_prefix(dot + 1);
    }
    const json& value = entries_.find(spec.key)->second.value;
    auto& leaf = (*node)[std::string(rest)];
    if (spec.type == Type::acl) {
      // Members in the order people think of them, not alphabetical.
      leaf = nlohmann::ordered_json::object();
      for (const char* m : {"publish", "subscribe", "deny"}) leaf[m] = value.at(m);
    } else {
      leaf = value;
    }
  }
  return out.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::filesystem::path Config::db_path() const {
  std::filesystem::path data_dir = get_string("data_dir");
  const std::string& db = get_string("db.path");
  if (db.empty()) return data_dir / "trellis.db";
  return data_dir / std::filesystem::path(db);  // an absolute db.path replaces data_dir
}

unsigned Config::thread_count() const {
  auto n = static_cast<unsigned>(get_int("threads"));
  // One core is left to the database writer and the kernel's network work:
  // on two cores, one I/O thread used less CPU per message and per connection
  // than two in every MQTT benchmark row, since two threads sharing one
  // io_context hand each wake-up over between them.
  if (n == 0) n = std::max(2u, std::thread::hardware_concurrency()) - 1;
  return n;
}

std::chrono::microseconds Config::busy_poll() const {
  return std::chrono::microseconds(get_int("busy_poll_us"));
}

std::optional<std::string> process_env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

Result<Config> load(const CommandLine& command_line, const Getenv& getenv) {
  Loader loader;
  if (command_line.config_file) loader.read_file(*command_line.config_file);
  if (getenv) loader.read_env(getenv);
  for (const auto& s : command_line.sets) loader.read_set(s);
  // Cross-key checks on half-loaded values would only add confusing errors.
  if (loader.failed()) return loader.finish();
  loader.resolve_derived();
  loader.check_across_keys();
  return loader.finish();
}

bool is_loopback_address(std::string_view address) {
  std::string a(address);
  for (char& c : a) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (a == "localhost") return true;
  if (a.size() > 2 && a.front() == '[' && a.back() == ']') a = a.substr(1, a.size() - 2);
  in_addr v4{};
  if (inet_pton(AF_INET, a.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, a.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

}  // namespace trellis::config
