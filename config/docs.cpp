#include "config/docs.hpp"

#include <algorithm>

namespace trellis::config {
namespace {

// Greedy word wrap; a word longer than the width gets a line of its own.
std::vector<std::string> wrap(std::string_view text, std::size_t width) {
  std::vector<std::string> lines;
  std::string line;
  while (!text.empty()) {
    auto space = text.find(' ');
    std::string_view word = text.substr(0, space);
    text.remove_prefix(space == std::string_view::npos ? text.size() : space + 1);
    if (word.empty()) continue;
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      lines.push_back(std::move(line));
      line.clear();
    }
    if (!line.empty()) line += ' ';
    line += word;
  }
  if (!line.empty()) lines.push_back(std::move(line));
  return lines;
}

std::string escape_cell(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += sep;
    out += i;
  }
  return out;
}

// One-line JSON with a space after ':' and ',', ACL members in the order people
// think of them (publish, subscribe, deny) rather than alphabetical.
std::string inline_json(const nlohmann::json& v) {
  if (v.is_array()) {
    std::vector<std::string> items;
    for (const auto& item : v) items.push_back(inline_json(item));
    return "[" + join(items, ", ") + "]";
  }
  if (v.is_object()) {
    std::vector<std::string> names;
    for (const char* m : {"publish", "subscribe", "deny"}) {
      if (v.contains(m)) names.push_back(m);
    }
    for (const auto& [k, item] : v.items()) {
      if (std::find(names.begin(), names.end(), k) == names.end()) names.push_back(k);
    }
    std::vector<std::string> items;
    for (const auto& k : names)
      items.push_back(nlohmann::json(k).dump() + ": " + inline_json(v.at(k)));
    return "{" + join(items, ", ") + "}";
  }
  return v.dump();
}

// Keys grouped by their dotted prefix, in schema order, for the example file.
struct Node {
  std::string name;
  const KeySpec* spec = nullptr;  // set on leaves
  std::vector<Node> children;

  bool written() const {  // false for a leaf that is only shown commented out
    if (spec) return !spec->default_value.is_null();
    return std::any_of(children.begin(), children.end(), [](const Node& n) { return n.written(); });
  }
};

Node key_tree() {
  Node root;
  for (const auto& spec : schema()) {
    Node* node = &root;
    std::string_view rest = spec.key;
    while (true) {
      auto dot = rest.find('.');
      std::string name(rest.substr(0, dot));
      auto it = std::find_if(node->children.begin(), node->children.end(),
                             [&](const Node& n) { return n.name == name; });
      if (it == node->children.end()) {
        node->children.push_back(Node{name, nullptr, {}});
        it = node->children.end() - 1;
      }
      node = &*it;
      if (dot == std::string_view::npos) break;
      rest.remove_prefix(dot + 1);
    }
    node->spec = &spec;
  }
  return root;
}

void write_object(const Node& node, std::size_t depth, std::string& out) {
  constexpr std::size_t width = 100;
  std::string indent(2 * depth, ' ');
  const auto& kids = node.children;
  for (std::size_t i = 0; i < kids.size(); ++i) {
    const Node& kid = kids[i];
    bool more =
        std::any_of(kids.begin() + i + 1, kids.end(), [](const Node& n) { return n.written(); });
    std::string comma = more ? "," : "";
    if (kid.spec) {
      const KeySpec& s = *kid.spec;
      std::string comment = s.help;
      if (auto allowed = allowed_text(s); !allowed.empty()) comment += " Allowed: " + allowed + ".";
      if (s.default_value.is_null()) comment += " Default: " + s.default_note + ".";
      for (const auto& line : wrap(comment, width - indent.size() - 3)) {
        out += indent + "// " + line + "\n";
      }
      if (s.default_value.is_null()) {
        out += indent + "// \"" + kid.name + "\": true,\n";
      } else {
        out += indent + "\"" + kid.name + "\": " + default_text(s) + comma + "\n";
      }
    } else {
      if (i > 0) out += "\n";
      out += indent + "\"" + kid.name + "\": {\n";
      write_object(kid, depth + 1, out);
      out += indent + "}" + comma + "\n";
    }
  }
}

}  // namespace

std::string default_text(const KeySpec& spec) {
  if (spec.default_value.is_null()) return spec.default_note;
  return inline_json(spec.default_value);
}

std::string allowed_text(const KeySpec& spec) {
  switch (spec.check) {
    case Check::url_path:
      return "a path starting with /";
    case Check::host_port:
      return "\"\" or ip:port";
    case Check::topic_name:
      return "an MQTT topic name";
    case Check::topic_filter:
      return "an MQTT topic filter";
    case Check::topic_id_map:
      return "topic ids " + std::to_string(spec.min) + ".." + std::to_string(spec.max) +
             " mapped to topic names";
    case Check::lwm2m_paths:
      return "true, false or a list of LwM2M paths";
    case Check::none:
      break;
  }
  if (spec.type == Type::integer) {
    return std::to_string(spec.min) + ".." + std::to_string(spec.max);
  }
  if (spec.type == Type::acl) return "lists publish, subscribe, deny of MQTT topic filters";
  if (!spec.choices.empty()) return join(spec.choices, ", ");
  return "";
}

std::string help_text(std::string_view program) {
  std::string out;
  out += "Usage: " + std::string(program) + " [options]\n\n";
  out +=
      "Trellis: an MQTT broker, MQTT-SN gateway and LwM2M server in one process.\n"
      "\n"
      "Options:\n"
      "  --config FILE      Read settings from FILE (JSON; // and /* */ comments allowed).\n"
      "  --set KEY=VALUE    Set one key; repeatable. Lists: a JSON array or a,b,c. Objects:\n"
      "                     JSON. Booleans: true/false, yes/no, on/off, 1/0.\n"
      "  --print-config     Print the effective configuration as JSON and exit.\n"
      "  -h, --help         Print this help and exit.\n"
      "  --version          Print the version and exit.\n"
      "\n"
      "Every key can also be set in the environment: TRELLIS_ and the key in upper case\n"
      "with '.' as '_' (mqtt.tcp_port: TRELLIS_MQTT_TCP_PORT). Later sources win: defaults,\n"
      "then the file, then the environment, then --set. A bad key or value stops start-up\n"
      "with exit status 2.\n"
      "\n"
      "Keys:\n";
  for (const auto& spec : schema()) {
    std::string kind(type_name(spec.type));
    if (auto allowed = allowed_text(spec); !allowed.empty()) kind += ": " + allowed;
    out += "  " + spec.key + " (" + kind + "; default " + default_text(spec) + ")\n";
    for (const auto& line : wrap(spec.help, 94)) out += "      " + line + "\n";
  }
  return out;
}

std::string markdown_table() {
  std::string out = "| key | type | default | allowed | description |\n|---|---|---|---|---|\n";
  for (const auto& spec : schema()) {
    std::string def = spec.default_value.is_null() ? escape_cell(spec.default_note)
                                                   : "`" + escape_cell(default_text(spec)) + "`";
    out += "| `" + spec.key + "` | " + std::string(type_name(spec.type)) + " | " + def + " | " +
           escape_cell(allowed_text(spec)) + " | " + escape_cell(spec.help) + " |\n";
  }
  return out;
}

std::string example_jsonc() {
  std::string out =
      "// Trellis configuration: every key at its default, so this file changes nothing as it\n"
      "// stands. Copy it, keep the keys you change, and start: trellis --config trellis.jsonc\n"
      "// Keys may be nested as here or written flat (\"mqtt.tcp_port\": 1883). The environment\n"
      "// (TRELLIS_MQTT_TCP_PORT=1883) overrides this file, and --set mqtt.tcp_port=1883\n"
      "// overrides both. Generated from config/schema.cpp; test_config keeps the two in step.\n"
      "{\n";
  write_object(key_tree(), 1, out);
  out += "}\n";
  return out;
}

std::string version_text() {
  return std::string("trellis ") + TRELLIS_VERSION + "\n";
}

}  // namespace trellis::config
