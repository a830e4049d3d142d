#include "db/json.hpp"

#include <initializer_list>
#include <string>

#include "db/application_store.hpp"
#include "db/errors.hpp"

namespace trellis::db {

namespace {

using nlohmann::json;

Error invalid(std::string message) {
  return error(errc::invalid_argument, std::move(message));
}

json or_null(const std::optional<std::string>& v) {
  return v ? json(*v) : json(nullptr);
}

// Refuses members outside `allowed` and `ignored`; `where` names the object.
Status check_members(const json& j, std::string_view where,
                     std::initializer_list<std::string_view> allowed,
                     std::initializer_list<std::string_view> ignored = {}) {
  if (!j.is_object()) return invalid(std::string(where) + " must be a JSON object");
  for (const auto& [name, v] : j.items()) {
    bool known = false;
    for (auto a : allowed) known = known || a == name;
    for (auto a : ignored) known = known || a == name;
    if (!known) return invalid(std::string(where) + " has an unknown member '" + name + "'");
  }
  return Ok{};
}

// A string member: absent or null -> nullopt; a string -> the value.
Result<std::optional<std::string>> get_string(const json& obj, const char* name,
                                              std::string_view where) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) {
    return invalid(std::string(where) + "." + name + " must be a string");
  }
  return std::optional<std::string>(it->get<std::string>());
}

// A member of a merge patch: absent, null (clear) or a string (set).
Result<Change<std::string>> get_change(const json& obj, const char* name, std::string_view where) {
  auto it = obj.find(name);
  if (it == obj.end()) return Change<std::string>();
  if (it->is_null()) return Change<std::string>(std::optional<std::string>());
  if (!it->is_string()) {
    return invalid(std::string(where) + "." + name + " must be a string or null");
  }
  return Change<std::string>(it->get<std::string>());
}

// The credentials member of a device (create: nulls count as absent).
Status read_credentials(const json& j, DeviceCredentials& cr) {
  if (auto st = check_members(j, "credentials", {"mqtt", "lwm2m"}); !st) return st;
  if (auto m = j.find("mqtt"); m != j.end() && !m->is_null()) {
    if (auto st = check_members(*m, "credentials.mqtt", {"username", "password"}, {"has_password"});
        !st) {
      return st;
    }
    auto u = get_string(*m, "username", "credentials.mqtt");
    auto p = get_string(*m, "password", "credentials.mqtt");
    if (!u) return u.error();
    if (!p) return p.error();
    cr.mqtt_username = *u;
    cr.mqtt_password = *p;
  }
  if (auto l = j.find("lwm2m"); l != j.end() && !l->is_null()) {
    if (auto st = check_members(*l, "credentials.lwm2m", {"endpoint", "psk_identity", "psk_key"},
                                {"has_psk_key"});
        !st) {
      return st;
    }
    auto e = get_string(*l, "endpoint", "credentials.lwm2m");
    auto i = get_string(*l, "psk_identity", "credentials.lwm2m");
    auto k = get_string(*l, "psk_key", "credentials.lwm2m");
    if (!e) return e.error();
    if (!i) return i.error();
    if (!k) return k.error();
    cr.lwm2m_endpoint = *e;
    cr.psk_identity = *i;
    cr.psk_key_hex = *k;
  }
  return Ok{};
}

Status check_device_members(const json& j) {
  return check_members(j, "device", {"id", "name", "type", "attributes", "protocol", "credentials"},
                       {"created_ms", "updated_ms", "online", "last_seen_ms", "remote_address"});
}

}  // namespace

json to_json(const Device& d) {
  return json{
      {"id", d.id},
      {"name", d.name},
      {"type", d.type},
      {"attributes", d.attributes},
      {"protocol", d.protocol},
      {"created_ms", d.created_ms},
      {"updated_ms", d.updated_ms},
      {"online", d.online},
      {"last_seen_ms", d.last_seen_ms},
      {"remote_address", d.remote_address},
      {"credentials",
       {{"mqtt", {{"username", or_null(d.mqtt_username)}, {"has_password", d.has_password}}},
        {"lwm2m",
         {{"endpoint", or_null(d.lwm2m_endpoint)},
          {"psk_identity", or_null(d.psk_identity)},
          {"has_psk_key", d.has_psk}}}}}};
}

Result<NewDevice> parse_new_device(const json& j) {
  if (auto st = check_device_members(j); !st) return st.error();
  NewDevice d;
  auto id = get_string(j, "id", "device");
  if (!id) return id.error();
  if (!*id) return invalid("device.id is required");
  d.id = **id;
  for (auto [name, field] : {std::pair{"name", &d.name}, std::pair{"type", &d.type},
                             std::pair{"protocol", &d.protocol}}) {
    auto v = get_string(j, name, "device");
    if (!v) return v.error();
    if (*v) *field = **v;
  }
  if (auto a = j.find("attributes"); a != j.end() && !a->is_null()) {
    if (!a->is_object()) return invalid("device.attributes must be a JSON object");
    d.attributes = *a;
  }
  if (auto c = j.find("credentials"); c != j.end() && !c->is_null()) {
    if (auto st = read_credentials(*c, d.credentials); !st) return st.error();
  }
  return d;
}

Result<DevicePatch> parse_device_patch(const json& j) {
  if (auto st = check_device_members(j); !st) return st.error();
  DevicePatch p;
  for (auto [name, field] : {std::pair{"name", &p.name}, std::pair{"type", &p.type}}) {
    auto it = j.find(name);
    if (it == j.end()) continue;
    if (!it->is_string()) return invalid(std::string("device.") + name + " must be a string");
    *field = it->get<std::string>();
  }
  if (auto a = j.find("attributes"); a != j.end()) {
    // A merge patch (RFC 7386) of the attributes: null clears them all.
    if (a->is_null() || a->is_object()) {
      p.attributes = *a;
    } else {
      return invalid("device.attributes must be a JSON object or null");
    }
  }
  auto c = j.find("credentials");
  if (c == j.end()) return p;
  if (c->is_null()) {
    Change<std::string> clear{std::optional<std::string>()};
    p.mqtt_username = p.lwm2m_endpoint = p.psk_identity = clear;
    return p;
  }
  if (auto st = check_members(*c, "credentials", {"mqtt", "lwm2m"}); !st) return st.error();
  if (auto m = c->find("mqtt"); m != c->end()) {
    if (m->is_null()) {
      p.mqtt_username = std::optional<std::string>();
    } else {
      if (auto st =
              check_members(*m, "credentials.mqtt", {"username", "password"}, {"has_password"});
          !st) {
        return st.error();
      }
      auto u = get_change(*m, "username", "credentials.mqtt");
      auto pw = get_change(*m, "password", "credentials.mqtt");
      if (!u) return u.error();
      if (!pw) return pw.error();
      p.mqtt_username = *u;
      p.mqtt_password = *pw;
    }
  }
  if (auto l = c->find("lwm2m"); l != c->end()) {
    if (l->is_null()) {
      p.lwm2m_endpoint = std::optional<std::string>();
      p.psk_identity = std::optional<std::string>();
    } else {
      if (auto st = check_members(*l, "credentials.lwm2m", {"endpoint", "psk_identity", "psk_key"},
                                  {"has_psk_key"});
          !st) {
        return st.error();
      }
      auto e = get_change(*l, "endpoint", "credentials.lwm2m");
      auto i = get_change(*l, "psk_identity", "credentials.lwm2m");
      if (!e) return e.error();
      if (!i) return i.error();
      p.lwm2m_endpoint = *e;
      p.psk_identity = *i;
      if (auto k = l->find("psk_key"); k != l->end()) {
        if (!k->is_string()) {
          return invalid(
              "credentials.lwm2m.psk_key must be a hex string (clear psk_identity to "
              "remove the key)");
        }
        p.psk_key_hex = k->get<std::string>();
      }
    }
  }
  return p;
}

json to_json(const Application& a) {
  return json{{"name", a.name},
              {"username", or_null(a.username)},
              {"has_password", a.has_password},
              {"has_api_key", a.has_api_key},
              {"acl", acl_to_json(a.acl)},
              {"created_ms", a.created_ms},
              {"updated_ms", a.updated_ms}};
}

Result<NewApplication> parse_new_application(const json& j) {
  if (auto st = check_members(j, "application", {"name", "username", "password", "api_key", "acl"},
                              {"has_password", "has_api_key", "created_ms", "updated_ms"});
      !st) {
    return st.error();
  }
  NewApplication a;
  auto name = get_string(j, "name", "application");
  if (!name) return name.error();
  if (!*name) return invalid("application.name is required");
  a.name = **name;
  for (auto [member, field] :
       {std::pair{"username", &a.username}, std::pair{"password", &a.password},
        std::pair{"api_key", &a.api_key}}) {
    auto v = get_string(j, member, "application");
    if (!v) return v.error();
    *field = *v;
  }
  if (auto acl = j.find("acl"); acl != j.end() && !acl->is_null()) {
    auto parsed = acl_from_json(*acl);
    if (!parsed) return parsed.error();
    a.acl = *parsed;
  }
  return a;
}

Result<ApplicationPatch> parse_application_patch(const json& j) {
  if (auto st = check_members(j, "application", {"username", "password", "api_key", "acl"},
                              {"name", "has_password", "has_api_key", "created_ms", "updated_ms"});
      !st) {
    return st.error();
  }
  ApplicationPatch p;
  for (auto [member, field] :
       {std::pair{"username", &p.username}, std::pair{"password", &p.password},
        std::pair{"api_key", &p.api_key}}) {
    auto v = get_change(j, member, "application");
    if (!v) return v.error();
    *field = *v;
  }
  if (auto acl = j.find("acl"); acl != j.end()) {
    if (acl->is_null()) {
      p.acl = default_application_acl();
    } else {
      auto parsed = acl_from_json(*acl);
      if (!parsed) return parsed.error();
      p.acl = *parsed;
    }
  }
  return p;
}

json to_json(const Command& c) {
  return json{{"id", c.uid},
              {"device", c.device_id},
              {"protocol", c.protocol},
              {"state", command_state_name(c.state)},
              {"body", c.body},
              {"created_ms", c.created_ms},
              {"updated_ms", c.updated_ms},
              {"deadline_ms", c.deadline_ms},
              {"result", c.result},
              {"message", c.message}};
}

json to_json(const Point& p) {
  json value = std::visit([](const auto& v) { return json(v); }, p.value);
  return json{{"key", p.key}, {"ts", p.ts_ms}, {"value", std::move(value)}};
}

json to_json(const Bucket& b) {
  return json{{"start", b.start_ms}, {"count", b.count}, {"sum", b.sum},
              {"min", b.min},        {"max", b.max},     {"avg", b.avg()}};
}

}  // namespace trellis::db
