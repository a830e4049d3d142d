#include "adapters/lwm2m/reply.hpp"

#include <cmath>

#include "adapters/lwm2m/coap_code.hpp"
#include "adapters/lwm2m/content/content_format.hpp"
#include "adapters/lwm2m/content/link_format.hpp"
#include "core/text_encoding.hpp"

namespace trellis::lwm2m {
namespace {

using nlohmann::json;

// SenML times below 2^28 are relative to now (RFC 8428, 4.5.3).
constexpr double kRelativeTimeLimit = 268435456.0;

json base_data(const std::string& req_path, uint8_t code) {
  json data = json::object();
  data["reqPath"] = req_path;
  data["code"] = code_text(code);
  data["codeMsg"] = code_name(code);
  return data;
}

json echo(const json& request) {
  return request.is_object() ? request : json::object();
}

// The records of a read-like answer (or of a Send, to no path), or an error text.
Result<json> content_of(const std::optional<Path>& request_path, const CoapResponse& rsp,
                        const TypeLookup& lookup, int64_t now_ms) {
  json items = json::array();
  if (rsp.payload.empty()) return items;
  const uint16_t number =
      rsp.content_format.value_or(static_cast<uint16_t>(ContentFormat::text_plain));
  const auto format = content_format_from_number(number);
  if (!format) {
    return make_error("unsupported_format", "the client answered in content format " +
                                                std::to_string(number) +
                                                ", which this server does not decode");
  }
  if (*format == ContentFormat::link_format) {
    auto links = parse_link_format(rsp.payload);
    if (!links) {
      return make_error(links.error().code,
                        "the client's link-format does not parse: " + links.error().message);
    }
    for (const auto& link : *links) items.push_back(format_link_format({link}));
    return items;
  }
  auto records = decode(*format, rsp.payload, request_path, lookup);
  if (!records) {
    return make_error(records.error().code,
                      "the client's " + std::string(content_format_name(*format)) +
                          " payload does not decode: " + records.error().message);
  }
  for (const auto& r : *records) {
    json item = json::object();
    item["path"] = r.path.to_string();
    item["value"] = value_to_json(r.value);
    if (r.time) {
      const double t =
          *r.time < kRelativeTimeLimit ? static_cast<double>(now_ms) / 1000.0 + *r.time : *r.time;
      if (std::isfinite(t)) item["time"] = t;
    }
    items.push_back(std::move(item));
  }
  return items;
}

bool carries_content(Operation op) {
  return op == Operation::read || op == Operation::observe || op == Operation::cancel_observe ||
         op == Operation::discover;
}

json reply_data(const Command& cmd, const CoapResponse& rsp, const TypeLookup& lookup,
                int64_t now_ms) {
  json data = base_data(cmd.req_path, rsp.code);
  if (is_success(rsp.code) && carries_content(cmd.op)) {
    auto content = content_of(cmd.path, rsp, lookup, now_ms);
    if (!content) {
      data = base_data(cmd.req_path, kBadGateway);
      data["error"] = content.error().message;
      data["clientCode"] = code_text(rsp.code);
      return data;
    }
    data["content"] = std::move(*content);
  }
  if (cmd.op == Operation::create && !rsp.location_path.empty()) {
    std::string location;
    for (const auto& seg : rsp.location_path) location += "/" + seg;
    data["location"] = location;
  }
  if (!is_success(rsp.code) && !rsp.payload.empty()) {
    // A diagnostic payload (RFC 7252, 5.5.2) says why.
    data["error"] = rsp.payload;
  }
  return data;
}

}  // namespace

json value_to_json(const Value& v) {
  return std::visit(
      [](const auto& x) -> json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return x;
        } else if constexpr (std::is_same_v<T, double>) {
          return std::isfinite(x) ? json(x) : json(nullptr);
        } else if constexpr (std::is_same_v<T, Bytes>) {
          return base64_encode(x, Base64Alphabet::standard, true);
        } else if constexpr (std::is_same_v<T, Time>) {
          return x.seconds;
        } else if constexpr (std::is_same_v<T, ObjLnk>) {
          return format_objlnk(x);
        } else if constexpr (std::is_same_v<T, CoreLnk>) {
          return x.text;
        } else {
          return x;  // int64_t, uint64_t, bool
        }
      },
      v);
}

json command_reply(const Command& cmd, const CoapResponse& rsp, const TypeLookup& lookup,
                   int64_t now_ms) {
  json out = echo(cmd.request);
  out["data"] = reply_data(cmd, rsp, lookup, now_ms);
  return out;
}

json notify_message(const Command& observe, const CoapResponse& rsp, const TypeLookup& lookup,
                    int64_t now_ms) {
  json out = echo(observe.request);
  out["msgType"] = "notify";
  out["seqNum"] = rsp.observe.value_or(0);
  out["data"] = reply_data(observe, rsp, lookup, now_ms);
  return out;
}

Result<json> send_message(const CoapResponse& sent, const TypeLookup& lookup, int64_t now_ms) {
  const auto format =
      sent.content_format ? content_format_from_number(*sent.content_format) : std::nullopt;
  if (format != ContentFormat::senml_json && format != ContentFormat::senml_cbor &&
      format != ContentFormat::lwm2m_json) {
    return make_error(
        "unsupported_format",
        "a Send carries SenML JSON, SenML CBOR or LwM2M JSON, with its Content-Format");
  }
  if (sent.payload.empty()) return make_error("empty", "a Send carries at least one value");
  auto content = content_of(std::nullopt, sent, lookup, now_ms);
  if (!content) return content.error();
  json data = base_data("/dp", kChanged);
  data["content"] = std::move(*content);
  json out = json::object();
  out["msgType"] = "send";
  out["data"] = std::move(data);
  return out;
}

json local_reply(const json& request, std::string_view req_path,
                 std::optional<std::string_view> msg_type, uint8_t code, std::string_view code_msg,
                 const std::string& error) {
  json out = echo(request);
  if (msg_type) out["msgType"] = *msg_type;
  json data = json::object();
  data["reqPath"] = req_path;
  data["code"] = code_text(code);
  data["codeMsg"] = code_msg;
  data["error"] = error;
  out["data"] = std::move(data);
  return out;
}

json registration_event(std::string_view msg_type, const RegistrationSummary& reg) {
  json data = json::object();
  data["ep"] = reg.endpoint;
  data["lt"] = reg.lifetime;
  data["lwm2m"] = reg.version;
  data["b"] = reg.binding;
  if (reg.sms) data["sms"] = *reg.sms;
  if (reg.queue_mode) data["Q"] = true;
  for (const auto& [k, v] : reg.extra) {
    if (!data.contains(k)) data[k] = v;
  }
  if (reg.objects) {
    data["alternatePath"] = reg.objects->alternate_path;
    data["objectList"] = reg.objects->paths();
  }
  json out = json::object();
  out["msgType"] = msg_type;
  out["data"] = std::move(data);
  return out;
}

std::string to_text(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool is_fresher_notification(uint32_t v1, uint32_t v2, double seconds_later) {
  constexpr uint32_t half = 1u << 23;
  return (v1 < v2 && v2 - v1 < half) || (v1 > v2 && v1 - v2 > half) || seconds_later > 128;
}

}  // namespace trellis::lwm2m
