#include "adapters/lwm2m/command.hpp"

#include <algorithm>
#include <array>

#include "adapters/lwm2m/content/number_text.hpp"
#include "adapters/lwm2m/content/tlv.hpp"
#include "core/json_text.hpp"
#include "core/text_encoding.hpp"

namespace trellis::lwm2m {
namespace {

using nlohmann::json;

struct OperationName {
  Operation op;
  std::string_view name;
};

constexpr std::array<OperationName, 9> kOperations{{
    {Operation::read, "read"},
    {Operation::discover, "discover"},
    {Operation::write, "write"},
    {Operation::write_attr, "write-attr"},
    {Operation::execute, "execute"},
    {Operation::create, "create"},
    {Operation::remove, "delete"},
    {Operation::observe, "observe"},
    {Operation::cancel_observe, "cancel-observe"},
}};

// The attributes Write-Attributes may set (LwM2M 1.1 Core, 5.1.2).
constexpr std::array<std::string_view, 7> kAttributes{"pmin", "pmax",  "gt",   "lt",
                                                      "st",   "epmin", "epmax"};

Error field_error(std::string code, std::string_view field, std::string message) {
  return make_error(std::move(code), "data." + std::string(field) + ": " + message);
}

// "/3/0/1?pmin=10&pmax=60" -> path text and query items.
struct SplitPath {
  std::string path;
  std::vector<std::string> query;
};

SplitPath split_query(const std::string& text) {
  SplitPath out;
  const auto q = text.find('?');
  out.path = text.substr(0, q);
  if (q == std::string::npos) return out;
  std::string_view rest = std::string_view(text).substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto item = rest.substr(0, amp);
    if (!item.empty()) out.query.emplace_back(item);
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return out;
}

Result<Path> path_field(const json& data, std::string_view name, Command& cmd) {
  const auto it = data.find(name);
  if (it == data.end()) return field_error("bad_command", name, "missing");
  if (!it->is_string()) return field_error("bad_path", name, "must be a string such as \"/3/0/1\"");
  const auto split = split_query(it->get<std::string>());
  std::string text = split.path;
  if (!text.empty() && text.front() != '/') text.insert(text.begin(), '/');
  auto path = parse_path(text);
  if (!path) {
    return field_error(
        "bad_path", name,
        "'" + it->get<std::string>() + "' is not an LwM2M path (" + path.error().message + ")");
  }
  cmd.req_path = split.path;
  cmd.extra_query = split.query;
  return *path;
}

Status need_depth(const Path& p, std::string_view field, int min, int max, std::string_view what) {
  if (p.depth() < min || p.depth() > max) {
    return field_error("bad_path", field, p.to_string() + ": " + std::string(what));
  }
  return Ok{};
}

// "1" under "/3/0" is /3/0/1; an absolute path under the base is kept.
Result<Path> compose_path(const Path& base, const std::string& relative) {
  std::string rel = relative;
  while (!rel.empty() && rel.front() == '/') rel.erase(rel.begin());
  while (!rel.empty() && rel.back() == '/') rel.pop_back();
  auto joined = parse_path(base.to_string() + (rel.empty() ? "" : "/" + rel));
  if (joined) return *joined;
  auto absolute = parse_path("/" + rel);
  if (absolute && base.contains(*absolute)) return *absolute;
  return make_error("bad_path", "'" + relative + "' is not a path under " + base.to_string());
}

std::optional<objects::ResourceType> model_type(const TypeLookup& lookup, const Path& p) {
  if (!lookup || p.depth() < 3) return std::nullopt;
  return lookup(p.truncated(3));
}

// One {path, type, value, encoding} entry.
Result<ResourceRecord> record_from(const json& entry, const Path& path, const TypeLookup& lookup) {
  if (!entry.contains("value")) {
    return make_error("bad_value", path.to_string() + ": missing \"value\"");
  }
  std::optional<std::string> type;
  if (entry.contains("type")) {
    if (!entry["type"].is_string()) {
      return make_error("unknown_type", path.to_string() + ": \"type\" must be a string");
    }
    type = entry["type"].get<std::string>();
  }
  auto value = value_from_json(entry["value"], type, string_member(entry, "encoding"),
                               model_type(lookup, path), path);
  if (!value) return value.error();
  return ResourceRecord{path, std::move(*value), std::nullopt};
}

Status parse_write(const json& data, Command& cmd, const TypeLookup& lookup) {
  // EMQX: a basePath other than "/" makes it a batch write.
  const bool batch =
      data.contains("basePath") && !(data["basePath"].is_string() && data["basePath"] == "/");
  if (!batch) {
    auto path = path_field(data, "path", cmd);
    if (!path) return path.error();
    if (auto st = need_depth(*path, "path", 3, 4, "write needs a resource or resource instance");
        !st) {
      return st;
    }
    cmd.path = *path;
    auto rec = record_from(data, *path, lookup);
    if (!rec) return rec.error();
    cmd.records.push_back(std::move(*rec));
    cmd.replace = true;
  } else {
    auto base = path_field(data, "basePath", cmd);
    if (!base) return base.error();
    if (auto st = need_depth(*base, "basePath", 2, 3,
                             "write needs an object instance or a resource as base");
        !st) {
      return st;
    }
    cmd.path = *base;
    const auto content_it = data.find("content");
    if (content_it == data.end() || !content_it->is_array() || content_it->empty()) {
      return field_error("bad_command", "content", "must be a non-empty array of {path, value}");
    }
    for (const auto& entry : *content_it) {
      if (!entry.is_object() || !entry.contains("path") || !entry["path"].is_string()) {
        return field_error("bad_command", "content", "every entry needs a \"path\" string");
      }
      auto full = compose_path(*base, entry["path"].get<std::string>());
      if (!full) return field_error("bad_path", "content", full.error().message);
      if (full->depth() < 3) {
        return field_error("bad_path", "content",
                           full->to_string() + " is not a resource or resource instance");
      }
      auto rec = record_from(entry, *full, lookup);
      if (!rec) return rec.error();
      cmd.records.push_back(std::move(*rec));
    }
    // EMQX's choice: an instance is partially updated, a resource replaced.
    cmd.replace = base->depth() == 3;
  }
  if (const auto mode = string_member(data, "mode")) {
    if (*mode != "replace" && *mode != "update") {
      return field_error("bad_command", "mode", "must be \"replace\" or \"update\"");
    }
    cmd.replace = *mode == "replace";
  }
  return Ok{};
}

Status parse_create(const json& data, Command& cmd, const TypeLookup& lookup) {
  const char* field = data.contains("basePath") ? "basePath" : "path";
  auto base = path_field(data, field, cmd);
  if (!base) return base.error();
  if (auto st = need_depth(*base, field, 1, 1, "create needs an object such as /3303"); !st) {
    return st;
  }
  cmd.path = *base;
  if (!data.contains("content")) return Ok{};
  const auto& content = data["content"];
  if (!content.is_array()) return field_error("bad_command", "content", "must be an array");
  int with_instance = 0;
  int without_instance = 0;
  for (const auto& entry : content) {
    if (!entry.is_object() || !entry.contains("path") || !entry["path"].is_string()) {
      return field_error("bad_command", "content", "every entry needs a \"path\" string");
    }
    // Relative "5700" (the client picks the instance) or "0/5700"; absolute
    // "/3303/0/5700".
    std::string rel = entry["path"].get<std::string>();
    while (!rel.empty() && rel.front() == '/') rel.erase(rel.begin());
    std::vector<std::string> parts;
    for (std::size_t i = 0; i <= rel.size();) {
      const auto slash = std::min(rel.find('/', i), rel.size());
      parts.push_back(rel.substr(i, slash - i));
      i = slash + 1;
    }
    const std::string obj = std::to_string(base->object);
    std::string full;
    if (parts.size() >= 3 && parts[0] == obj) {
      full = "/" + rel;
    } else if (parts.size() == 1) {
      full = "/" + obj + "/0/" + rel;  // instance 0 only as a placeholder
      ++without_instance;
    } else {
      full = "/" + obj + "/" + rel;
    }
    auto path = parse_path(full);
    if (!path || path->depth() < 3) {
      return field_error(
          "bad_path", "content",
          "'" + entry["path"].get<std::string>() + "' is not a resource of " + base->to_string());
    }
    if (parts.size() != 1) ++with_instance;
    auto rec = record_from(entry, *path, lookup);
    if (!rec) return rec.error();
    cmd.records.push_back(std::move(*rec));
  }
  if (with_instance > 0 && without_instance > 0) {
    return field_error("bad_path", "content", "give the instance in every path or in none of them");
  }
  cmd.create_without_instance = without_instance > 0;
  return Ok{};
}

Status parse_write_attr(const json& data, Command& cmd) {
  auto path = path_field(data, "path", cmd);
  if (!path) return path.error();
  cmd.path = *path;
  for (const auto name : kAttributes) {
    const auto it = data.find(name);
    if (it == data.end() || it->is_null()) continue;
    std::string text;
    if (it->is_number_integer() || it->is_number_unsigned()) {
      text = it->dump();
    } else if (it->is_number_float()) {
      text = format_double(it->get<double>());
    } else if (it->is_string() && parse_double(it->get<std::string>())) {
      text = it->get<std::string>();
    } else {
      return field_error("bad_value", name, "must be a number");
    }
    cmd.attributes.push_back(std::string(name) + "=" + text);
  }
  if (cmd.attributes.empty() && cmd.extra_query.empty()) {
    return field_error("bad_command", "pmin",
                       "write-attr needs at least one of pmin, pmax, gt, lt, st, epmin, epmax");
  }
  return Ok{};
}

Status parse_execute(const json& data, Command& cmd) {
  auto path = path_field(data, "path", cmd);
  if (!path) return path.error();
  if (auto st = need_depth(*path, "path", 3, 3, "execute needs a resource"); !st) return st;
  cmd.path = *path;
  if (const auto it = data.find("args"); it != data.end() && !it->is_null()) {
    if (!it->is_string()) return field_error("bad_value", "args", "must be a string");
    cmd.args = it->get<std::string>();
    if (cmd.args == "undefined") cmd.args.clear();  // what EMQX's examples send for "none"
  }
  return Ok{};
}

Result<Value> bad_value(const Path& path, std::string_view type, const nlohmann::json& v) {
  return make_error("bad_value",
                    path.to_string() + ": " + v.dump() + " is not a valid " + std::string(type));
}

std::optional<int64_t> as_int64(const json& v) {
  if (v.is_number_integer()) {
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      return std::nullopt;
    }
    return v.get<int64_t>();
  }
  if (v.is_number_float()) return double_to_int64(v.get<double>());
  if (v.is_string()) return parse_int64(v.get<std::string>());
  return std::nullopt;
}

Result<Value> typed_value(const json& v, objects::ResourceType type,
                          const std::optional<std::string>& encoding, const Path& path) {
  using objects::ResourceType;
  const auto name = objects::resource_type_name(type);
  switch (type) {
    case ResourceType::string:
      if (v.is_string()) return Value{v.get<std::string>()};
      if (v.is_number() || v.is_boolean()) return Value{v.dump()};
      return bad_value(path, name, v);
    case ResourceType::integer:
      if (const auto i = as_int64(v)) return Value{*i};
      return bad_value(path, name, v);
    case ResourceType::time:
      if (const auto i = as_int64(v)) return Value{Time{*i}};
      return bad_value(path, name, v);
    case ResourceType::unsigned_integer:
      if (v.is_number_unsigned()) return Value{v.get<uint64_t>()};
      if (v.is_string()) {
        if (const auto u = parse_uint64(v.get<std::string>())) return Value{*u};
      }
      if (const auto i = as_int64(v); i && *i >= 0) return Value{static_cast<uint64_t>(*i)};
      return bad_value(path, name, v);
    case ResourceType::float_:
      if (v.is_number()) return Value{v.get<double>()};
      if (v.is_string()) {
        if (const auto d = parse_double(v.get<std::string>())) return Value{*d};
      }
      return bad_value(path, name, v);
    case ResourceType::boolean:
      if (v.is_boolean()) return Value{v.get<bool>()};
      if (v.is_number_integer() && (v == 0 || v == 1)) return Value{v == 1};
      if (v.is_string()) {
        const auto s = v.get<std::string>();
        if (s == "true" || s == "1") return Value{true};
        if (s == "false" || s == "0") return Value{false};
      }
      return bad_value(path, name, v);
    case ResourceType::opaque: {
      if (!v.is_string()) return bad_value(path, name, v);
      const std::string enc = encoding.value_or("base64");
      if (enc == "hex") {
        auto bytes = hex_decode(v.get<std::string>());
        if (!bytes) {
          return make_error("bad_value", path.to_string() + ": Opaque value is not hex (" +
                                             bytes.error().message + ")");
        }
        return Value{Bytes(bytes->begin(), bytes->end())};
      }
      if (enc != "base64") {
        return make_error("bad_value",
                          path.to_string() + ": encoding must be \"base64\" or \"hex\"");
      }
      auto bytes = base64_decode(v.get<std::string>());
      if (!bytes) {
        return make_error("bad_value", path.to_string() + ": Opaque value is not base64 (" +
                                           bytes.error().message +
                                           "); use \"encoding\": \"hex\" "
                                           "for hex");
      }
      return Value{Bytes(bytes->begin(), bytes->end())};
    }
    case ResourceType::objlnk:
      if (v.is_string()) {
        if (const auto link = parse_objlnk(v.get<std::string>())) return Value{*link};
      }
      return bad_value(path, name, v);
    case ResourceType::corelnk:
      if (v.is_string()) return Value{CoreLnk{v.get<std::string>()}};
      return bad_value(path, name, v);
    case ResourceType::none:
      break;
  }
  return make_error("bad_value", path.to_string() + " is executable and holds no value");
}

void append(std::vector<std::string>& out, const std::string& path_text) {
  if (path_text == "/") return;
  std::size_t i = 1;
  while (i <= path_text.size()) {
    const auto slash = std::min(path_text.find('/', i), path_text.size());
    if (slash > i) out.push_back(path_text.substr(i, slash - i));
    i = slash + 1;
  }
}

}  // namespace

std::optional<Operation> parse_operation(std::string_view msg_type) {
  for (const auto& o : kOperations) {
    if (o.name == msg_type) return o.op;
  }
  return std::nullopt;
}

std::string_view operation_name(Operation op) {
  for (const auto& o : kOperations) {
    if (o.op == op) return o.name;
  }
  return "unknown";
}

Result<json> parse_command_json(std::string_view text) {
  if (!json_nesting_within(text)) {
    return make_error(
        "bad_json", "the command nests deeper than " + std::to_string(max_json_depth) + " levels");
  }
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return make_error("bad_json", "the command is not valid JSON");
  if (!j.is_object()) {
    return make_error("bad_json",
                      "the command must be a JSON object {\"reqID\", \"msgType\", "
                      "\"data\"}");
  }
  return j;
}

Result<Value> value_from_json(const json& value, const std::optional<std::string>& type,
                              const std::optional<std::string>& encoding,
                              std::optional<objects::ResourceType> model, const Path& path) {
  std::optional<objects::ResourceType> declared;
  if (type) {
    declared = objects::parse_resource_type(*type);
    if (!declared || *declared == objects::ResourceType::none) {
      return make_error("unknown_type",
                        path.to_string() + ": unknown type '" + *type +
                            "'; use String, Integer, Unsigned Integer, Float, Boolean, Opaque, "
                            "Time, Objlnk or Corelnk");
    }
  }
  const auto effective = declared ? declared : model;
  if (!effective) {
    return make_error("no_definition", path.to_string() +
                                           ": no object definition knows this resource; give "
                                           "\"type\"");
  }
  auto v = typed_value(value, *effective, encoding, path);
  if (!v) return v;
  if (model && declared && *model != *declared) {
    auto coerced = coerce(std::move(*v), *model);
    if (!coerced) {
      return make_error("type_mismatch", path.to_string() + ": the object model says " +
                                             std::string(objects::resource_type_name(*model)) +
                                             ", not " + *type);
    }
    return coerced;
  }
  return v;
}

Result<Command> parse_command(const json& request, const TypeLookup& lookup) {
  Command cmd;
  cmd.request = request;
  const auto mt = request.find("msgType");
  if (mt == request.end() || !mt->is_string()) {
    return make_error("bad_command",
                      "msgType: missing; use read, discover, write, write-attr, "
                      "execute, create, delete, observe or cancel-observe");
  }
  const auto op = parse_operation(mt->get<std::string>());
  if (!op) {
    return make_error("unknown_msg_type",
                      "msgType: '" + mt->get<std::string>() +
                          "' is not one of read, discover, write, write-attr, execute, create, "
                          "delete, observe, cancel-observe");
  }
  cmd.op = *op;
  const auto data_it = request.find("data");
  if (data_it == request.end() || !data_it->is_object()) {
    return make_error("bad_command", "data: missing or not an object");
  }
  const json& data = *data_it;
  switch (cmd.op) {
    case Operation::write:
      if (auto st = parse_write(data, cmd, lookup); !st) return st.error();
      return cmd;
    case Operation::create:
      if (auto st = parse_create(data, cmd, lookup); !st) return st.error();
      return cmd;
    case Operation::write_attr:
      if (auto st = parse_write_attr(data, cmd); !st) return st.error();
      return cmd;
    case Operation::execute:
      if (auto st = parse_execute(data, cmd); !st) return st.error();
      return cmd;
    default:
      break;
  }
  auto path = path_field(data, "path", cmd);
  if (!path) return path.error();
  cmd.path = *path;
  if (cmd.op == Operation::remove) {
    if (auto st = need_depth(*path, "path", 2, 4, "delete needs an object instance"); !st) {
      return st.error();
    }
  }
  return cmd;
}

ContentFormat preferred_format(const ClientProfile& client) {
  static constexpr std::array<ContentFormat, 4> kOrder{
      ContentFormat::senml_cbor, ContentFormat::senml_json, ContentFormat::tlv,
      ContentFormat::lwm2m_json};
  for (const auto f : kOrder) {
    for (const auto n : client.content_formats) {
      if (content_format_from_number(n) == f) return f;
    }
  }
  return client.version == "1.0" ? ContentFormat::tlv : ContentFormat::senml_cbor;
}

Result<CoapRequest> to_coap_request(const Command& cmd, const ClientProfile& client,
                                    const TypeLookup& lookup) {
  CoapRequest req;
  append(req.uri_path, client.alternate_path);
  append(req.uri_path, cmd.path.to_string());
  req.uri_query = cmd.extra_query;
  const ContentFormat format = preferred_format(client);
  const auto number = [](ContentFormat f) { return static_cast<uint16_t>(f); };

  switch (cmd.op) {
    case Operation::read:
      req.method = Method::get;
      req.accept = number(format);
      break;
    case Operation::observe:
      req.method = Method::get;
      req.observe = 0;
      req.accept = number(format);
      break;
    case Operation::cancel_observe:
      req.method = Method::get;
      req.observe = 1;
      req.accept = number(format);
      break;
    case Operation::discover:
      req.method = Method::get;
      req.accept = number(ContentFormat::link_format);
      break;
    case Operation::remove:
      req.method = Method::remove;
      break;
    case Operation::execute:
      req.method = Method::post;
      if (!cmd.args.empty()) {
        req.payload = cmd.args;
        req.content_format = number(ContentFormat::text_plain);
      }
      break;
    case Operation::write_attr:
      req.method = Method::put;
      req.uri_query.insert(req.uri_query.end(), cmd.attributes.begin(), cmd.attributes.end());
      break;
    case Operation::write: {
      req.method = cmd.replace ? Method::put : Method::post;
      auto body = encode(format, cmd.records, cmd.path, lookup);
      if (!body) return body.error();
      req.payload = std::move(*body);
      req.content_format = number(format);
      break;
    }
    case Operation::create: {
      req.method = Method::post;
      if (cmd.records.empty()) break;
      if (cmd.create_without_instance) {
        // Only TLV can carry resources without their instance (Core 6.3.4).
        const bool tlv_ok = client.content_formats.empty() ||
                            std::find(client.content_formats.begin(), client.content_formats.end(),
                                      number(ContentFormat::tlv)) != client.content_formats.end() ||
                            format == ContentFormat::tlv;
        if (!tlv_ok) {
          return make_error("create_needs_tlv",
                            "data.content: the client does not list TLV, the only format that "
                            "leaves the instance id to the client; give the instance in the paths");
        }
        Path instance = cmd.path;
        instance.instance = 0;
        auto body = encode_tlv(cmd.records, instance, lookup);
        if (!body) return body.error();
        req.payload = std::move(*body);
        req.content_format = number(ContentFormat::tlv);
      } else {
        auto body = encode(format, cmd.records, cmd.path, lookup);
        if (!body) return body.error();
        req.payload = std::move(*body);
        req.content_format = number(format);
      }
      break;
    }
  }
  return req;
}

}  // namespace trellis::lwm2m
