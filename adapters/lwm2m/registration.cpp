#include "adapters/lwm2m/registration.hpp"

#include <algorithm>

#include "adapters/lwm2m/content/json_writer.hpp"
#include "adapters/lwm2m/content/link_format.hpp"
#include "adapters/lwm2m/content/number_text.hpp"

namespace trellis::lwm2m {
namespace {

constexpr std::size_t kMaxEndpointLength = 256;

// The endpoint name becomes a topic level ({prefix}/{ep}/...), so it may not
// hold what MQTT gives a meaning to.
Status check_endpoint(std::string_view ep) {
  if (ep.empty()) return make_error("missing_endpoint", "ep is empty");
  if (ep.size() > kMaxEndpointLength) {
    return make_error("bad_endpoint", "ep is longer than 256 bytes");
  }
  for (const char c : ep) {
    if (c == '/' || c == '+' || c == '#' || static_cast<unsigned char>(c) < 0x20) {
      return make_error("bad_endpoint",
                        "ep may not contain '/', '+', '#' or control characters: it names "
                        "an MQTT topic level");
    }
  }
  if (!is_valid_utf8(ep)) return make_error("bad_endpoint", "ep is not UTF-8");
  return Ok{};
}

Status check_binding(std::string_view b) {
  if (b.empty()) return make_error("bad_binding", "b is empty");
  std::string seen;
  for (const char c : b) {
    if (std::string_view("UMHTSNQ").find(c) == std::string_view::npos) {
      return make_error("bad_binding",
                        "b='" + std::string(b) + "': unknown binding '" + std::string(1, c) + "'");
    }
    if (seen.find(c) != std::string::npos) {
      return make_error("bad_binding",
                        "b='" + std::string(b) + "' repeats '" + std::string(1, c) + "'");
    }
    seen += c;
  }
  return Ok{};
}

Result<RegistrationQuery> parse_query(const std::vector<std::string>& queries, bool update) {
  RegistrationQuery q;
  std::vector<std::string> names;
  for (const auto& item : queries) {
    const auto eq = item.find('=');
    const std::string name = item.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : item.substr(eq + 1);
    if (name.empty()) return make_error("bad_parameter", "query parameter without a name");
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      return make_error("duplicate_parameter", "parameter '" + name + "' given twice");
    }
    names.push_back(name);
    if (update && (name == "ep" || name == "lwm2m")) {
      return make_error("parameter_not_allowed", "'" + name + "' may not change in an Update");
    }
    if (name == "ep") {
      if (auto st = check_endpoint(value); !st) return st.error();
      q.endpoint = value;
    } else if (name == "lt") {
      const auto lt = parse_int64(value);
      if (!lt || *lt < 0) {
        return make_error("bad_lifetime", "lt='" + value + "' is not a number of seconds");
      }
      q.lifetime = *lt;
    } else if (name == "lwm2m") {
      if (value != "1.0" && value != "1.1" && value != "1.2") {
        return make_error("unsupported_version",
                          "lwm2m='" + value + "': this server speaks LwM2M 1.0, 1.1 and 1.2");
      }
      q.version = value;
    } else if (name == "b") {
      if (auto st = check_binding(value); !st) return st.error();
      q.binding = value;
      if (binding_has_queue(value)) q.queue_mode = true;
    } else if (name == "sms") {
      q.sms = value;
    } else if (name == "Q") {
      if (eq != std::string::npos) return make_error("bad_parameter", "Q takes no value");
      q.queue_mode = true;
    } else {
      q.extra.emplace_back(name, value);
    }
  }
  if (!update && !q.endpoint) return make_error("missing_endpoint", "Register without ep");
  return q;
}

bool is_registration_root(const Link& link) {
  const auto rt = link.param("rt");
  return rt && *rt == "oma.lwm2m";
}

std::string normalise_alternate_path(std::string uri) {
  while (uri.size() > 1 && uri.back() == '/') uri.pop_back();
  return uri;
}

Result<std::vector<uint16_t>> parse_ct(std::string_view text) {
  std::vector<uint16_t> out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    const auto end = std::min(text.find(' ', i), text.size());
    const auto v = parse_uint64(text.substr(i, end - i));
    if (!v || *v > 0xFFFF) {
      return make_error("bad_ct",
                        "ct='" + std::string(text) + "' is not a list of content formats");
    }
    out.push_back(static_cast<uint16_t>(*v));
    i = end;
  }
  return out;
}

}  // namespace

bool ObjectList::has_object(uint16_t object_id) const {
  return std::any_of(links.begin(), links.end(),
                     [&](const ObjectLink& l) { return l.path.object == object_id; });
}

std::vector<std::string> ObjectList::paths() const {
  std::vector<std::string> out;
  out.reserve(links.size());
  for (const auto& l : links) out.push_back(l.path.to_string());
  return out;
}

bool binding_has_queue(std::string_view binding) {
  return binding.find('Q') != std::string_view::npos;
}

Result<RegistrationQuery> parse_register_query(const std::vector<std::string>& queries) {
  return parse_query(queries, false);
}

Result<RegistrationQuery> parse_update_query(const std::vector<std::string>& queries) {
  return parse_query(queries, true);
}

Result<ObjectList> parse_object_list(std::string_view payload) {
  auto links = parse_link_format(payload);
  if (!links) return links.error();
  ObjectList list;
  // The root link may come anywhere in the list; find it before the objects.
  for (const auto& link : *links) {
    if (!is_registration_root(link)) continue;
    if (link.uri.empty() || link.uri.front() != '/') {
      return make_error("bad_object_link", "alternate path <" + link.uri + "> must start with '/'");
    }
    list.alternate_path = normalise_alternate_path(link.uri);
    break;
  }
  const std::string prefix = list.alternate_path == "/" ? "" : list.alternate_path;
  for (const auto& link : *links) {
    const std::string uri = normalise_alternate_path(link.uri);
    if (is_registration_root(link) || uri == "/" || uri == list.alternate_path) {
      if (const auto ct = link.param("ct")) {
        auto formats = parse_ct(*ct);
        if (!formats) return formats.error();
        list.content_formats = std::move(*formats);
      }
      continue;
    }
    if (uri.compare(0, prefix.size(), prefix) != 0) {
      return make_error(
          "bad_object_link",
          "link <" + link.uri + "> is outside the alternate path " + list.alternate_path);
    }
    auto path = parse_path(std::string_view(uri).substr(prefix.size()));
    if (!path || path->depth() > 2) {
      return make_error("bad_object_link",
                        "link <" + link.uri + "> is not an object or an object instance");
    }
    ObjectLink ol{*path, std::nullopt};
    if (const auto ver = link.param("ver")) ol.version = std::string(*ver);
    list.links.push_back(std::move(ol));
  }
  return list;
}

}  // namespace trellis::lwm2m
