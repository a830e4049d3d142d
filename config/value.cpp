#include "config/value.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

#include "core/topic.hpp"

namespace trellis::config {
namespace {

using nlohmann::json;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Decimal digits only: no sign, no leading zero (so "1" and "01" cannot both
// name the same topic id), no overflow past `max`.
std::optional<int64_t> parse_canonical_uint(std::string_view s, int64_t max) {
  if (s.empty() || s.size() > 19 || (s.size() > 1 && s.front() == '0')) return std::nullopt;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

bool is_host_port(std::string_view s) {
  if (s.empty()) return true;
  auto colon = s.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view host = s.substr(0, colon);
  auto port = parse_canonical_uint(s.substr(colon + 1), 65535);
  if (!port || *port == 0 || host.empty()) return false;
  if (host.front() == '[') return host.size() > 2 && host.back() == ']';
  // An IPv6 address needs brackets, or its last ':' is ambiguous.
  return host.find_first_of(":[]") == std::string_view::npos;
}

bool is_lwm2m_path(std::string_view s) {
  if (s.size() < 2 || s.front() != '/') return false;
  s.remove_prefix(1);
  int levels = 0;
  while (true) {
    auto slash = s.find('/');
    if (!parse_canonical_uint(s.substr(0, slash), 65535)) return false;
    if (++levels > 4) return false;
    if (slash == std::string_view::npos) return true;
    s.remove_prefix(slash + 1);
  }
}

bool is_text(const json& v) {
  return v.is_string() && topic::is_valid_utf8(v.get_ref<const std::string&>());
}

std::optional<Problem> whole(const KeySpec& spec) {
  return Problem{expectation(spec, false), std::nullopt};
}

std::optional<Problem> check_string_list(const KeySpec& spec, const json& v) {
  if (!v.is_array()) return whole(spec);
  for (const auto& item : v) {
    if (!is_text(item)) return Problem{"a list of strings", item};
    if (spec.check == Check::lwm2m_paths && !is_lwm2m_path(item.get_ref<const std::string&>())) {
      return Problem{"LwM2M paths like \"/3303/0/5700\"", item};
    }
  }
  return std::nullopt;
}

std::optional<Problem> check_string(const KeySpec& spec, const json& v) {
  if (!v.is_string()) return whole(spec);
  const auto& s = v.get_ref<const std::string&>();
  if (!topic::is_valid_utf8(s)) return Problem{"valid UTF-8 text", std::nullopt};
  if (!spec.choices.empty() &&
      std::find(spec.choices.begin(), spec.choices.end(), s) == spec.choices.end()) {
    return whole(spec);
  }
  bool ok = true;
  switch (spec.check) {
    case Check::url_path:
      ok = !s.empty() && s.front() == '/';
      break;
    case Check::host_port:
      ok = is_host_port(s);
      break;
    case Check::topic_name:
      ok = topic::validate_name(s).ok();
      break;
    case Check::topic_filter:
      ok = topic::validate_filter(s).ok();
      break;
    default:
      break;
  }
  return ok ? std::nullopt : whole(spec);
}

std::optional<Problem> check_map(const KeySpec& spec, const json& v) {
  if (!v.is_object()) return whole(spec);
  for (const auto& [k, item] : v.items()) {
    if (spec.max > 0) {
      auto id = parse_canonical_uint(k, spec.max);
      if (!id || *id < spec.min) {
        return Problem{"keys that are integers from " + std::to_string(spec.min) + " to " +
                           std::to_string(spec.max),
                       json(k)};
      }
    }
    if (!is_text(item)) return Problem{"string values", item};
    if (spec.check == Check::topic_id_map &&
        !topic::validate_name(item.get_ref<const std::string&>()).ok()) {
      return Problem{"MQTT topic names without wildcards as values", item};
    }
  }
  return std::nullopt;
}

std::optional<Problem> check_acl(const KeySpec& spec, json& v) {
  if (!v.is_object()) return whole(spec);
  static const char* const members[] = {"publish", "subscribe", "deny"};
  for (const auto& [k, item] : v.items()) {
    if (std::find(std::begin(members), std::end(members), k) == std::end(members)) {
      return Problem{"only the members \"publish\", \"subscribe\" and \"deny\"", json(k)};
    }
    if (!item.is_array()) return Problem{"\"" + k + "\" to be a list of MQTT topic filters", item};
    for (const auto& f : item) {
      if (!f.is_string() || !topic::validate_filter(f.get_ref<const std::string&>()).ok()) {
        return Problem{"\"" + k + "\" to hold MQTT topic filters", f};
      }
    }
  }
  // A missing list means nothing is allowed (or denied) by it.
  for (const char* m : members) {
    if (!v.contains(m)) v[m] = json::array();
  }
  return std::nullopt;
}

std::optional<Problem> check_integer(const KeySpec& spec, json& v) {
  if (!v.is_number_integer()) return whole(spec);
  if (v.is_number_unsigned() &&
      v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return whole(spec);
  }
  int64_t n = v.get<int64_t>();
  if (n < spec.min || n > spec.max) return whole(spec);
  v = n;
  return std::nullopt;
}

std::optional<bool> parse_bool_word(std::string_view text) {
  std::string w = lower(trim(text));
  if (w == "true" || w == "yes" || w == "on" || w == "1") return true;
  if (w == "false" || w == "no" || w == "off" || w == "0") return false;
  return std::nullopt;
}

// A JSON array, or comma separated items (blank ones dropped, so "a,b," is fine).
std::optional<json> parse_list_text(std::string_view text) {
  std::string_view t = trim(text);
  if (!t.empty() && t.front() == '[') {
    json v = json::parse(t, nullptr, false);
    if (v.is_discarded()) return std::nullopt;
    return v;
  }
  json out = json::array();
  while (!t.empty()) {
    auto comma = t.find(',');
    std::string_view item = trim(t.substr(0, comma));
    if (!item.empty()) out.push_back(std::string(item));
    if (comma == std::string_view::npos) break;
    t.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace

std::optional<Problem> check_json(const KeySpec& spec, json& value) {
  switch (spec.type) {
    case Type::boolean:
      return value.is_boolean() ? std::nullopt : whole(spec);
    case Type::integer:
      return check_integer(spec, value);
    case Type::string:
      return check_string(spec, value);
    case Type::string_list:
      return check_string_list(spec, value);
    case Type::string_map:
      return check_map(spec, value);
    case Type::acl:
      return check_acl(spec, value);
    case Type::bool_or_string_list:
      if (value.is_boolean()) return std::nullopt;
      if (!value.is_array()) return whole(spec);
      return check_string_list(spec, value);
  }
  return whole(spec);
}

TextResult parse_text(const KeySpec& spec, std::string_view text) {
  auto refuse = [&] { return TextResult{nullptr, Problem{expectation(spec, true), std::nullopt}}; };
  json v;
  switch (spec.type) {
    case Type::boolean: {
      auto b = parse_bool_word(text);
      if (!b) return refuse();
      v = *b;
      break;
    }
    case Type::integer: {
      std::string_view t = trim(text);
      int64_t n = 0;
      auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
      if (t.empty() || ec != std::errc() || p != t.data() + t.size()) return refuse();
      v = n;
      break;
    }
    case Type::string:
      v = std::string(text);
      break;
    case Type::string_list: {
      auto list = parse_list_text(text);
      if (!list) return refuse();
      v = std::move(*list);
      break;
    }
    case Type::string_map:
    case Type::acl: {
      std::string_view t = trim(text);
      if (t.empty() && spec.type == Type::string_map) {
        v = json::object();
        break;
      }
      v = json::parse(t, nullptr, false);
      if (v.is_discarded()) return refuse();
      break;
    }
    case Type::bool_or_string_list: {
      if (auto b = parse_bool_word(text)) {
        v = *b;
        break;
      }
      auto list = parse_list_text(text);
      if (!list) return refuse();
      v = std::move(*list);
      break;
    }
  }
  auto problem = check_json(spec, v);
  if (problem && !problem->got && problem->expected == expectation(spec, false)) {
    problem->expected = expectation(spec, true);
  }
  return TextResult{std::move(v), std::move(problem)};
}

std::string show(const json& value) {
  constexpr std::size_t limit = 80;
  std::string s = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() <= limit) return s;
  std::size_t cut = limit - 3;
  // Never cut a UTF-8 sequence in half.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "...";
}

}  // namespace trellis::config
