#include "webapi/api.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <system_error>

#include "core/bus.hpp"
#include "core/clients.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/text_encoding.hpp"
#include "core/topic.hpp"
#include "db/application_store.hpp"
#include "db/command_store.hpp"
#include "db/cursor.hpp"
#include "db/database.hpp"
#include "db/device_store.hpp"
#include "db/json.hpp"
#include "db/telemetry_store.hpp"
#include "objects/object_registry.hpp"
#include "webapi/command_service.hpp"
#include "webapi/errors.hpp"
#include "webapi/openapi.hpp"
#include "webapi/query.hpp"

namespace trellis::webapi {

using nlohmann::json;

namespace {

constexpr const char* kPrefix = "/api/v1";
constexpr std::size_t kDefaultPage = 100;

Handler sync(std::function<Response(const Request&)> f) {
  return [f = std::move(f)](const Request& req, const Reply& reply) { reply(f(req)); };
}

Response bad_request(std::string message) {
  return error_response(400, code::bad_request, message);
}

json cursor_json(const std::string& c) {
  return c.empty() ? json(nullptr) : json(c);
}

// limit and cursor of a list route.
struct Page {
  std::size_t limit = kDefaultPage;
  std::string cursor;
};
Result<Page> page_params(const Request& req, std::size_t max) {
  Page p;
  if (const auto* l = req.query_value("limit")) {
    auto v = parse_limit("limit", *l, max);
    if (!v) return v.error();
    p.limit = *v;
  }
  if (const auto* c = req.query_value("cursor")) p.cursor = *c;
  return p;
}

json client_json(const ClientInfo& c) {
  return {{"client_id", c.client_id},         {"protocol", c.protocol},
          {"transport", c.transport},         {"remote", c.remote},
          {"username", c.username},           {"clean_session", c.clean_session},
          {"keepalive", c.keepalive},         {"connected_at_ms", c.connected_at_ms},
          {"subscriptions", c.subscriptions}, {"queued", c.queued},
          {"inflight", c.inflight},           {"state", c.state}};
}

json resource_json(const objects::ResourceDefinition& r) {
  return {{"id", r.id},
          {"name", r.name},
          {"operations", objects::operations_name(r.ops)},
          {"type", std::string(objects::resource_type_name(r.type))},
          {"multiple", r.multiple},
          {"mandatory", r.mandatory},
          {"range", r.range_enumeration},
          {"units", r.units},
          {"description", r.description}};
}

json object_json(const objects::ObjectDefinition& o, bool with_resources) {
  json j = {{"id", o.id},
            {"name", o.name},
            {"description", o.description},
            {"urn", o.urn},
            {"object_version", o.object_version},
            {"lwm2m_version", o.lwm2m_version},
            {"multiple", o.multiple_instances},
            {"mandatory", o.mandatory}};
  if (with_resources) {
    json rs = json::array();
    for (const auto& [id, r] : o.resources) rs.push_back(resource_json(r));
    j["resources"] = std::move(rs);
  } else {
    j["resource_count"] = o.resources.size();
  }
  return j;
}

// 201 with where the new resource lives (RFC 9110 15.3.2).
Response created(const json& body, const std::string& location) {
  auto r = json_response(201, body);
  r.headers.emplace_back("Location", location);
  return r;
}

// A connection is a device's when it names the device as MQTT and MQTT-SN
// devices do (client id or username) or, for LwM2M, by its endpoint.
bool is_connection_of(const db::Device& d, const ClientInfo& c) {
  if (c.protocol == "lwm2m") return c.client_id == d.lwm2m_endpoint.value_or(d.id);
  return c.client_id == d.id || (d.mqtt_username && c.username == *d.mqtt_username);
}

// Writes a file whole or not at all, so a crash never leaves half an XML file
// for the next start-up to refuse.
Status write_file_atomically(const std::filesystem::path& path, std::string_view text) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec)
    return make_error("storage",
                      "cannot create " + path.parent_path().string() + ": " + ec.message());
  const auto tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) return make_error("storage", "cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return make_error("storage", "cannot rename " + tmp + ": " + ec.message());
  return Ok{};
}

// Uploads load at start-up in file name order, after every other definition,
// and the last definition of an object wins: names sort in upload order. One
// upload at a time writes, loads and tidies, so that order is also the order
// definitions were loaded in.
std::mutex& uploads_mutex() {
  static std::mutex m;
  return m;
}

// "upload-<seq>-3-4" -> {"upload", "<seq>", "3", "4"}.
std::vector<std::string> name_parts(const std::filesystem::path& file) {
  std::vector<std::string> parts;
  const std::string stem = file.stem().string();
  for (std::size_t at = 0;;) {
    auto dash = stem.find('-', at);
    parts.push_back(stem.substr(at, dash - at));
    if (dash == std::string::npos) break;
    at = dash + 1;
  }
  return parts;
}

bool is_upload_name(const std::vector<std::string>& parts) {
  return parts.size() > 2 && parts[0] == "upload";
}

// Past every upload already there, even if the clock went back since.
std::string upload_file_name(const std::filesystem::path& dir,
                             const std::vector<objects::ObjectDefinition>& defs) {
  static int64_t last = 0;  // under uploads_mutex()
  int64_t seq = std::max(now_ms(), last + 1);
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto parts = name_parts(it->path());
    if (!is_upload_name(parts)) continue;
    if (auto n = parse_int("seq", parts[1]); n && *n >= seq) seq = *n + 1;
  }
  last = seq;
  char stamp[24];
  std::snprintf(stamp, sizeof stamp, "%020lld", static_cast<long long>(seq));
  std::string name = std::string("upload-") + stamp;
  for (const auto& o : defs) name += "-" + std::to_string(o.id);
  return name + ".xml";
}

// The object ids an upload's file name lists ("upload-<seq>-3-4.xml", or
// "3-4.xml" as earlier builds named them); empty for any other file.
std::set<uint16_t> uploaded_ids(const std::filesystem::path& file) {
  if (file.extension() != ".xml") return {};
  const auto parts = name_parts(file);
  std::set<uint16_t> ids;
  for (std::size_t i = is_upload_name(parts) ? 2 : 0; i < parts.size(); ++i) {
    auto n = parse_int("id", parts[i]);
    if (!n || *n < 0 || *n > 65535) return {};
    ids.insert(static_cast<uint16_t>(*n));
  }
  return ids;
}

// Earlier uploads whose every object the new one defines again are dead weight.
void remove_superseded_uploads(const std::filesystem::path& dir,
                               const std::filesystem::path& newest,
                               const std::vector<objects::ObjectDefinition>& defs) {
  std::set<uint16_t> now;
  for (const auto& o : defs) now.insert(o.id);
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename() >= newest.filename()) continue;  // itself, or loaded after it
    auto ids = uploaded_ids(it->path());
    if (ids.empty() || !std::includes(now.begin(), now.end(), ids.begin(), ids.end())) continue;
    std::error_code rm;
    std::filesystem::remove(it->path(), rm);
  }
}

// The topic every LwM2M command to `endpoint` starts with: "lwm2m/ep/dn" for
// the filter "dn/#", which an ACL filter such as "lwm2m/+/dn/#" also matches
// (MQTT 3.1.1 4.7.1.2).
std::string lwm2m_command_root(const HttpServerOptions& o, const std::string& endpoint) {
  std::string_view filter = o.lwm2m_command_topic;
  while (filter.ends_with("/#") || filter.ends_with("/+")) filter.remove_suffix(2);
  std::string topic = o.lwm2m_topic_prefix + "/" + endpoint;
  if (filter != "#" && filter != "+") topic += "/" + std::string(filter);
  return topic;
}

}  // namespace

bool is_loopback_address(const std::string& bind) {
  if (bind == "localhost") return true;
  boost::system::error_code ec;
  const auto a = boost::asio::ip::make_address(bind, ec);
  return !ec && a.is_loopback();
}

Api::Api(HttpServerOptions options, Services services, std::shared_ptr<CommandService> commands)
    : options_(std::move(options)), services_(std::move(services)), commands_(std::move(commands)) {
  auth_required_ = !options_.api_keys.empty() || !is_loopback_address(options_.bind);
  add_routes();
}

std::optional<std::optional<Principal>> Api::caller(const Request& req) const {
  const auto it = req.headers.find("authorization");
  if (it == req.headers.end()) return std::nullopt;
  std::string_view v = it->second;
  constexpr std::string_view bearer = "Bearer ";
  if (v.size() <= bearer.size()) return std::nullopt;
  // The scheme name is case-insensitive (RFC 7235 2.1).
  for (std::size_t i = 0; i < bearer.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(v[i])) !=
        std::tolower(static_cast<unsigned char>(bearer[i]))) {
      return std::nullopt;
    }
  }
  const auto key = v.substr(bearer.size());
  for (const auto& k : options_.api_keys) {
    if (k == key) return std::optional<Principal>();
  }
  auto app = services_.db.applications().find_by_api_key(key);
  if (!app) return std::nullopt;
  // %u in its ACL reads as its username (its name without one), as over MQTT.
  return Principal{PrincipalKind::application, app->name, app->username.value_or(app->name),
                   app->acl};
}

void Api::handle(Request req, Reply reply) const {
  const auto m = router_.match(req.method, req.path);
  if (m.kind == RouteMatch::Kind::not_found) {
    reply(error_response(404, code::not_found, "no route for " + req.method + " " + req.path));
    return;
  }
  if (m.kind == RouteMatch::Kind::bad_path) {
    reply(error_response(400, code::bad_request,
                         "path segment '" + m.bad_segment + "' is not valid percent-encoding"));
    return;
  }
  if (m.kind == RouteMatch::Kind::wrong_method) {
    std::string allow;
    for (const auto& a : m.allowed) allow += (allow.empty() ? "" : ", ") + a;
    if (req.method == "OPTIONS") {
      Response r;
      r.status = 204;
      r.headers.emplace_back("Allow", allow + ", OPTIONS");
      reply(std::move(r));
      return;
    }
    auto r = error_response(405, code::method_not_allowed,
                            req.method + " is not allowed on " + req.path + "; allowed: " + allow);
    r.headers.emplace_back("Allow", allow);
    reply(std::move(r));
    return;
  }
  if (auth_required_ && m.route->needs_auth) {
    auto who = caller(req);
    if (!who) {
      auto r = error_response(401, code::unauthorized,
                              "send a valid API key as 'Authorization: Bearer <key>'");
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      reply(std::move(r));
      return;
    }
    // An application that could make applications could grant itself anything.
    if (*who && m.route->admin_only) {
      reply(error_response(403, code::forbidden,
                           "application '" + (*who)->id + "' may not use " + req.method + " " +
                               req.path + ": that takes one of http.api_keys"));
      return;
    }
    req.caller = std::move(*who);
  }
  req.params = m.params;
  try {
    m.route->handler(req, reply);
  } catch (const std::exception& e) {
    // A handler bug must not take the connection down with no answer.
    TLOG(error, "http") << "handler failed" << log::kv("path", req.path)
                        << log::kv("error", e.what());
    reply(error_response(500, code::internal, std::string("internal error: ") + e.what()));
  }
}

void Api::add_routes() {
  auto& db = services_.db;
  const std::string p = kPrefix;
  const std::vector<QueryParam> page_query = {
      {"limit", "integer", "items per page (default 100; more than 1000 reads as 1000)"},
      {"cursor", "string", "next_cursor of the previous page"}};

  router_.add({.method = "GET",
               .pattern = p + "/health",
               .summary = "Liveness",
               .handler = sync([](const Request&) {
                 return json_response(200, {{"status", "ok"}, {"version", TRELLIS_VERSION}});
               }),
               .needs_auth = false});

  auto metrics = sync([this](const Request&) {
    Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = services_.metrics.prometheus();
    return r;
  });
  router_.add({.method = "GET",
               .pattern = p + "/metrics",
               .summary = "Metrics in Prometheus text format",
               .handler = metrics,
               .response_type = "text/plain"});
  router_.add({.method = "GET",
               .pattern = "/metrics",
               .summary = "Metrics in Prometheus text format",
               .handler = metrics,
               .response_type = "text/plain"});

  router_.add({.method = "GET",
               .pattern = p + "/openapi.json",
               .summary = "This OpenAPI document",
               .handler = sync([this](const Request&) {
                 return json_response(200, openapi_document(router_, TRELLIS_VERSION));
               }),
               .needs_auth = false});

  // --- devices ---
  router_.add({.method = "GET",
               .pattern = p + "/devices",
               .summary = "List devices",
               .handler = sync([&db](const Request& req) {
                 auto page = page_params(req, db::max_page_size);
                 if (!page) return error_response(page.error());
                 auto r = db.devices().list(page->limit, page->cursor);
                 if (!r) return error_response(r.error());
                 json items = json::array();
                 for (const auto& d : r->devices) items.push_back(db::to_json(d));
                 return json_response(
                     200, {{"items", items}, {"next_cursor", cursor_json(r->next_cursor)}});
               }),
               .query = page_query});
  router_.add({.method = "POST",
               .pattern = p + "/devices",
               .summary = "Register a device",
               .handler = sync([&db, p](const Request& req) {
                 auto body = parse_json_body(req.body);
                 if (!body) return error_response(body.error());
                 auto nd = db::parse_new_device(*body);
                 if (!nd) return error_response(nd.error());
                 auto d = db.devices().create(*nd);
                 if (!d) return error_response(d.error());
                 return created(db::to_json(*d), p + "/devices/" + percent_encode_segment(d->id));
               }),
               .admin_only = true,
               .has_body = true,
               .success_status = 201});
  router_.add({.method = "GET",
               .pattern = p + "/devices/{id}",
               .summary = "Get a device",
               .handler = sync([&db](const Request& req) {
                 auto d = db.devices().get(req.param("id"));
                 if (!d) return error_response(d.error());
                 return json_response(200, db::to_json(*d));
               })});
  router_.add({.method = "PATCH",
               .pattern = p + "/devices/{id}",
               .summary = "Change a device (JSON merge patch; id and protocol cannot change, the "
                          "figures the server keeps are ignored)",
               .handler = sync([&db](const Request& req) {
                 auto body = parse_json_body(req.body);
                 if (!body) return error_response(body.error());
                 if (body->is_object() && (body->contains("id") || body->contains("protocol"))) {
                   auto cur = db.devices().get(req.param("id"));
                   if (!cur) return error_response(cur.error());
                   const json now = db::to_json(*cur);
                   for (const char* k : {"id", "protocol"}) {
                     if (body->contains(k) && (*body)[k] != now[k])
                       return bad_request(std::string("device.") + k + " cannot be changed");
                   }
                 }
                 auto patch = db::parse_device_patch(*body);
                 if (!patch) return error_response(patch.error());
                 auto d = db.devices().patch(req.param("id"), *patch);
                 if (!d) return error_response(d.error());
                 return json_response(200, db::to_json(*d));
               }),
               .admin_only = true,
               .has_body = true});
  router_.add({.method = "DELETE",
               .pattern = p + "/devices/{id}",
               .summary = "Delete a device with its telemetry and commands, and end its "
                          "connections",
               .handler = sync([this, &db](const Request& req) {
                 auto device = db.devices().get(req.param("id"));
                 if (!device) return error_response(device.error());
                 // Left connected, it would still be let in, and its next message
                 // would register it again without its credentials. Ended first,
                 // so it sends nothing more once it is gone.
                 for (auto* source : services_.clients) {
                   for (const auto& c : source->clients()) {
                     if (is_connection_of(*device, c)) source->disconnect(c.client_id);
                   }
                 }
                 auto s = db.devices().remove(device->id);
                 if (!s) return error_response(s.error());
                 Response r;
                 r.status = 204;
                 return r;
               }),
               .admin_only = true,
               .success_status = 204});

  // --- telemetry ---
  router_.add({.method = "GET",
               .pattern = p + "/devices/{id}/telemetry/latest",
               .summary = "Latest value of each key",
               .handler = sync([&db](const Request& req) {
                 std::vector<std::string> keys;
                 if (const auto* k = req.query_value("keys")) keys = split_list(*k);
                 auto r = db.telemetry().latest(req.param("id"), keys);
                 if (!r) return error_response(r.error());
                 json items = json::array();
                 for (const auto& pt : *r) items.push_back(db::to_json(pt));
                 return json_response(200, {{"items", items}});
               }),
               .query = {{"keys", "string", "comma-separated keys (default: all)"}}});
  router_.add(
      {.method = "GET",
       .pattern = p + "/devices/{id}/telemetry",
       .summary = "Stored points, or aggregates per interval with agg and interval",
       .handler = sync([&db](const Request& req) {
         std::vector<std::string> keys;
         if (const auto* k = req.query_value("keys")) keys = split_list(*k);
         int64_t from = std::numeric_limits<int64_t>::min();
         int64_t to = std::numeric_limits<int64_t>::max();
         if (const auto* v = req.query_value("from")) {
           auto n = parse_int("from", *v);
           if (!n) return error_response(n.error());
           from = *n;
         }
         if (const auto* v = req.query_value("to")) {
           auto n = parse_int("to", *v);
           if (!n) return error_response(n.error());
           to = *n;
         }
         if (from > to) return bad_request("query parameter 'from' must not be after 'to'");
         db::Order order = db::Order::asc;
         if (const auto* v = req.query_value("order")) {
           if (*v == "desc")
             order = db::Order::desc;
           else if (*v != "asc")
             return bad_request("query parameter 'order' must be 'asc' or 'desc'");
         }
         const auto* agg = req.query_value("agg");
         if (!agg) {
           if (req.query_value("interval"))
             return bad_request("query parameter 'interval' needs 'agg'");
           db::TelemetryQuery q;
           q.device_id = req.param("id");
           q.keys = std::move(keys);
           q.from_ms = from;
           q.to_ms = to;
           q.order = order;
           if (const auto* v = req.query_value("limit")) {
             auto l = parse_limit("limit", *v, db::max_points_per_page);
             if (!l) return error_response(l.error());
             q.limit = *l;
           }
           if (const auto* c = req.query_value("cursor")) q.cursor = *c;
           auto r = db.telemetry().query(q);
           if (!r) return error_response(r.error());
           json items = json::array();
           for (const auto& pt : r->points) items.push_back(db::to_json(pt));
           return json_response(200,
                                {{"items", items}, {"next_cursor", cursor_json(r->next_cursor)}});
         }
         static const std::vector<std::string> kAggs = {"avg", "min", "max", "sum", "count"};
         if (std::find(kAggs.begin(), kAggs.end(), *agg) == kAggs.end()) {
           return bad_request("query parameter 'agg' must be one of avg, min, max, sum, count");
         }
         db::AggregateQuery q;
         q.device_id = req.param("id");
         q.keys = std::move(keys);
         q.from_ms = from;
         q.to_ms = to;
         q.order = order;
         if (const auto* v = req.query_value("interval")) {
           auto i = parse_interval("interval", *v);
           if (!i) return error_response(i.error());
           q.interval_ms = *i;
         }
         if (const auto* v = req.query_value("limit")) {
           auto l = parse_limit("limit", *v, db::max_buckets);
           if (!l) return error_response(l.error());
           q.limit = *l;
         }
         auto r = db.telemetry().aggregate(q);
         if (!r) return error_response(r.error());
         json items = json::array();
         for (const auto& ka : *r) {
           json buckets = json::array();
           for (const auto& b : ka.buckets) {
             json bj = db::to_json(b);
             if (*agg == "avg")
               bj["value"] = b.avg();
             else if (*agg == "min")
               bj["value"] = b.min;
             else if (*agg == "max")
               bj["value"] = b.max;
             else if (*agg == "sum")
               bj["value"] = b.sum;
             else
               bj["value"] = b.count;
             buckets.push_back(std::move(bj));
           }
           items.push_back({{"key", ka.key}, {"buckets", buckets}, {"more", ka.more}});
         }
         return json_response(200,
                              {{"agg", *agg}, {"interval_ms", q.interval_ms}, {"items", items}});
       }),
       .query = {{"keys", "string", "comma-separated keys (default: all)"},
                 {"from", "integer", "start, ms since the epoch, inclusive"},
                 {"to", "integer", "end, ms since the epoch, inclusive"},
                 {"limit", "integer",
                  "points per page, or buckets per key (more than 10000 reads as 10000)"},
                 {"order", "string", "asc or desc"},
                 {"cursor", "string", "next_cursor of the previous page"},
                 {"agg", "string", "avg, min, max, sum or count"},
                 {"interval", "string", "bucket length: ms, or 30s, 5m, 1h, 1d"}}});

  // --- commands ---
  router_.add(
      {.method = "POST",
       .pattern = p + "/devices/{id}/commands",
       .summary = "Send a command: an MQTT task (202), or an LwM2M operation (200 with the answer, "
                  "202 while the device sleeps)",
       .handler =
           [this, &db](const Request& req, const Reply& reply) {
             auto d = db.devices().get(req.param("id"));
             if (!d) return reply(error_response(d.error()));
             auto body = parse_json_body(req.body);
             if (!body) return reply(error_response(body.error()));
             const bool lwm2m =
                 d->lwm2m_endpoint && d->protocol != "mqtt" && d->protocol != "mqttsn";
             // An application commands a device only where its ACL would let it
             // send the command over MQTT.
             if (req.caller) {
               const std::string topic =
                   lwm2m ? lwm2m_command_root(options_, *d->lwm2m_endpoint) : tasks_topic(d->id);
               if (!req.caller->may_publish(topic, req.caller->id)) {
                 return reply(error_response(
                     403, code::forbidden,
                     "application '" + req.caller->id + "' may not command device '" + d->id +
                         "': its ACL does not let it publish to '" + topic + "'"));
               }
             }
             if (!lwm2m) {
               auto c = commands_->create_task(*d, *body);
               if (!c) return reply(error_response(c.error()));
               return reply(json_response(202, db::to_json(*c)));
             }
             if (!body->is_object() || !body->contains("msgType") ||
                 !(*body)["msgType"].is_string()) {
               return reply(
                   bad_request("an LwM2M command is a JSON object with a string \"msgType\", e.g. "
                               "{\"msgType\": \"read\", \"data\": {\"path\": \"/3/0/0\"}}"));
             }
             auto wait = std::chrono::milliseconds(options_.lwm2m_default_wait);
             if (const auto* t = req.query_value("timeout")) {
               auto n = parse_int("timeout", *t);
               if (!n) return reply(error_response(n.error()));
               if (*n < 1 || *n > 300)
                 return reply(bad_request("query parameter 'timeout' must be 1..300 seconds"));
               wait = std::chrono::seconds(*n);
             }
             commands_->lwm2m_request(
                 *d->lwm2m_endpoint, *body, wait,
                 [reply, endpoint = *d->lwm2m_endpoint](Result<CommandService::LwM2MAnswer> r) {
                   if (!r) return reply(error_response(r.error()));
                   if (r->queued) {
                     return reply(json_response(
                         202,
                         {{"status", "queued"}, {"endpoint", endpoint}, {"reqID", r->req_id}}));
                   }
                   reply(json_response(200, r->response));
                 });
           },
       .query = {{"timeout", "integer", "LwM2M only: seconds to wait for the answer (default 5)"}},
       .has_body = true,
       .success_status = 202});
  router_.add({.method = "GET",
               .pattern = p + "/devices/{id}/commands",
               .summary = "List a device's commands",
               .handler = sync([&db](const Request& req) {
                 auto page = page_params(req, db::max_page_size);
                 if (!page) return error_response(page.error());
                 auto d = db.devices().get(req.param("id"));
                 if (!d) return error_response(d.error());
                 auto r = db.commands().list(req.param("id"), page->limit, page->cursor);
                 if (!r) return error_response(r.error());
                 json items = json::array();
                 for (const auto& c : r->commands) items.push_back(db::to_json(c));
                 return json_response(
                     200, {{"items", items}, {"next_cursor", cursor_json(r->next_cursor)}});
               }),
               .query = page_query});
  router_.add({.method = "GET",
               .pattern = p + "/devices/{id}/commands/{uid}",
               .summary = "Get a command",
               .handler = sync([&db](const Request& req) {
                 auto c = db.commands().get(req.param("uid"));
                 if (!c || c->device_id != req.param("id")) {
                   return error_response(404, code::not_found,
                                         "device '" + req.param("id") + "' has no command '" +
                                             req.param("uid") + "'");
                 }
                 return json_response(200, db::to_json(*c));
               })});

  // --- applications ---
  router_.add({.method = "GET",
               .pattern = p + "/applications",
               .summary = "List applications",
               .handler = sync([&db](const Request& req) {
                 auto page = page_params(req, db::max_page_size);
                 if (!page) return error_response(page.error());
                 auto r = db.applications().list(page->limit, page->cursor);
                 if (!r) return error_response(r.error());
                 json items = json::array();
                 for (const auto& a : r->applications) items.push_back(db::to_json(a));
                 return json_response(
                     200, {{"items", items}, {"next_cursor", cursor_json(r->next_cursor)}});
               }),
               .query = page_query,
               .admin_only = true});
  router_.add(
      {.method = "POST",
       .pattern = p + "/applications",
       .summary = "Create an application (service account); \"api_key\": true generates one",
       .handler = sync([&db, p](const Request& req) {
         auto body = parse_json_body(req.body);
         if (!body) return error_response(body.error());
         // "api_key": true asks the server for a key, shown once in the answer.
         std::optional<std::string> generated;
         if (body->is_object() && body->contains("api_key") && (*body)["api_key"].is_boolean()) {
           if ((*body)["api_key"].get<bool>()) generated = db::generate_api_key();
           body->erase("api_key");
         }
         auto na = db::parse_new_application(*body);
         if (!na) return error_response(na.error());
         if (generated) na->api_key = generated;
         auto a = db.applications().create(*na);
         if (!a) return error_response(a.error());
         json j = db::to_json(*a);
         if (generated) j["api_key"] = *generated;
         return created(j, p + "/applications/" + percent_encode_segment(a->name));
       }),
       .admin_only = true,
       .has_body = true,
       .success_status = 201});
  router_.add({.method = "GET",
               .pattern = p + "/applications/{name}",
               .summary = "Get an application",
               .handler = sync([&db](const Request& req) {
                 auto a = db.applications().get(req.param("name"));
                 if (!a) return error_response(a.error());
                 return json_response(200, db::to_json(*a));
               }),
               .admin_only = true});
  router_.add({.method = "DELETE",
               .pattern = p + "/applications/{name}",
               .summary = "Delete an application",
               .handler = sync([&db](const Request& req) {
                 auto s = db.applications().remove(req.param("name"));
                 if (!s) return error_response(s.error());
                 Response r;
                 r.status = 204;
                 return r;
               }),
               .admin_only = true,
               .success_status = 204});

  // --- clients ---
  router_.add({.method = "GET",
               .pattern = p + "/clients",
               .summary = "Connected clients of every protocol, by protocol and client id",
               .handler = sync([this](const Request& req) {
                 auto page = page_params(req, db::max_page_size);
                 if (!page) return error_response(page.error());
                 // The cursor holds the last client listed: its protocol and client id.
                 using Key = std::pair<std::string, std::string>;
                 std::optional<Key> after;
                 if (!page->cursor.empty()) {
                   auto fields = db::decode_cursor(page->cursor, "clients", 2);
                   if (!fields) {
                     return bad_request(
                         "query parameter 'cursor' is not a next_cursor of /clients");
                   }
                   after = Key{(*fields)[0], (*fields)[1]};
                 }
                 std::vector<ClientInfo> all;
                 for (auto* s : services_.clients) {
                   for (auto& c : s->clients()) {
                     if (!after || Key{c.protocol, c.client_id} > *after)
                       all.push_back(std::move(c));
                   }
                 }
                 std::sort(all.begin(), all.end(), [](const ClientInfo& a, const ClientInfo& b) {
                   return std::tie(a.protocol, a.client_id) < std::tie(b.protocol, b.client_id);
                 });
                 json items = json::array();
                 std::string next;
                 for (const auto& c : all) {
                   if (items.size() == page->limit) {
                     next = db::encode_cursor(
                         "clients", {items.back()["protocol"], items.back()["client_id"]});
                     break;
                   }
                   items.push_back(client_json(c));
                 }
                 return json_response(200, {{"items", items}, {"next_cursor", cursor_json(next)}});
               }),
               .query = page_query});
  router_.add({.method = "DELETE",
               .pattern = p + "/clients/{clientid}",
               .summary = "Disconnect a client",
               .handler = sync([this](const Request& req) {
                 bool any = false;
                 for (auto* s : services_.clients)
                   any = s->disconnect(req.param("clientid")) || any;
                 if (!any) {
                   return error_response(404, code::not_found,
                                         "client '" + req.param("clientid") + "' is not connected");
                 }
                 Response r;
                 r.status = 204;
                 return r;
               }),
               .admin_only = true,
               .success_status = 204});

  // --- publish ---
  router_.add(
      {.method = "POST",
       .pattern = p + "/publish",
       .summary = "Publish a message on the bus: {topic (not a $-topic), payload, qos, retain, "
                  "encoding: \"utf8\" or \"base64\" (either alphabet, padding optional)}",
       .handler = sync([this](const Request& req) {
         auto body = parse_json_body(req.body);
         if (!body) return error_response(body.error());
         const json& b = *body;
         if (!b.is_object())
           return bad_request(
               "the body must be a JSON object {\"topic\", \"payload\", \"qos\", \"retain\"}");
         for (const auto& [k, v] : b.items()) {
           if (k != "topic" && k != "payload" && k != "qos" && k != "retain" && k != "encoding") {
             return bad_request("unknown member '" + k + "'");
           }
         }
         if (!b.contains("topic") || !b["topic"].is_string())
           return bad_request("\"topic\" must be a string");
         const auto topic_name = b["topic"].get<std::string>();
         if (auto v = topic::validate_name(topic_name); !v) {
           return bad_request("\"topic\" is not a valid topic name: " + v.error().message);
         }
         // $-topics carry what the server itself says (presence, $SYS); no client writes them.
         if (topic::is_system(topic_name)) {
           return bad_request("\"topic\" starts with '$': those topics are the server's own");
         }
         // An application publishes here what its ACL lets it publish over MQTT.
         // A REST call has no client id: %c reads as the application's name.
         if (req.caller && !req.caller->may_publish(topic_name, req.caller->id)) {
           return error_response(403, code::forbidden,
                                 "\"topic\" '" + topic_name + "' is outside what application '" +
                                     req.caller->id + "' may publish");
         }
         std::string payload;
         if (b.contains("payload")) {
           if (!b["payload"].is_string()) return bad_request("\"payload\" must be a string");
           payload = b["payload"].get<std::string>();
         }
         if (b.contains("encoding")) {
           if (!b["encoding"].is_string())
             return bad_request("\"encoding\" must be \"base64\" or \"utf8\"");
           const auto enc = b["encoding"].get<std::string>();
           if (enc == "base64") {
             auto d = base64_decode(payload);
             if (!d) return bad_request("\"payload\" is not valid base64: " + d.error().message);
             payload = std::move(*d);
           } else if (enc != "utf8" && enc != "plain") {
             return bad_request("\"encoding\" must be \"base64\" or \"utf8\"");
           }
         }
         int qos = 0;
         if (b.contains("qos")) {
           if (!b["qos"].is_number_integer() || b["qos"].get<int64_t>() < 0 ||
               b["qos"].get<int64_t>() > 2) {
             return bad_request("\"qos\" must be 0, 1 or 2");
           }
           qos = b["qos"].get<int>();
         }
         bool retain = false;
         if (b.contains("retain")) {
           if (!b["retain"].is_boolean()) return bad_request("\"retain\" must be true or false");
           retain = b["retain"].get<bool>();
         }
         const auto n = services_.bus.publish(make_message(
             topic_name, std::move(payload), static_cast<uint8_t>(qos), retain, Origin::http));
         return json_response(200, {{"topic", topic_name}, {"delivered", n}});
       }),
       .has_body = true});

  // --- objects ---
  router_.add({.method = "GET",
               .pattern = p + "/objects",
               .summary = "Loaded LwM2M object definitions",
               .handler = sync([this](const Request&) {
                 if (!services_.objects)
                   return error_response(503, "unavailable", "no object registry");
                 json items = json::array();
                 for (const auto& o : services_.objects->list())
                   items.push_back(object_json(*o, false));
                 return json_response(200, {{"items", items}});
               })});
  router_.add({.method = "GET",
               .pattern = p + "/objects/{id}",
               .summary = "One LwM2M object definition with its resources",
               .handler = sync([this](const Request& req) {
                 if (!services_.objects)
                   return error_response(503, "unavailable", "no object registry");
                 const auto& id = req.param("id");
                 auto n = parse_int("id", id);
                 if (!n || *n < 0 || *n > 65535)
                   return bad_request("object id must be 0..65535, got '" + id + "'");
                 auto o = services_.objects->find(static_cast<uint16_t>(*n));
                 if (!o)
                   return error_response(404, code::not_found, "object " + id + " is not loaded");
                 return json_response(200, object_json(*o, true));
               })});
  router_.add({.method = "POST",
               .pattern = p + "/objects",
               .summary = "Upload an LwM2M object definition (OMA object XML)",
               .handler = sync([this](const Request& req) {
                 if (!services_.objects)
                   return error_response(503, "unavailable", "no object registry");
                 auto parsed = objects::load_xml_string(req.body, "upload");
                 if (!parsed)
                   return bad_request("object XML refused: " + parsed.error().to_string());
                 if (parsed.value().empty())
                   return bad_request("object XML refused: it defines no object");
                 const auto& dir = options_.objects_dir;
                 std::lock_guard uploading(uploads_mutex());
                 const std::string name = upload_file_name(dir, parsed.value());
                 if (!dir.empty()) {
                   auto w = write_file_atomically(dir / name, req.body);
                   if (!w) return error_response(w.error());
                 }
                 if (auto e = services_.objects->load_string(req.body, name)) {
                   std::error_code rm;
                   if (!dir.empty()) std::filesystem::remove(dir / name, rm);
                   return bad_request("object XML refused: " + e->to_string());
                 }
                 if (!dir.empty()) remove_superseded_uploads(dir, dir / name, parsed.value());
                 json items = json::array();
                 for (const auto& o : parsed.value()) {
                   if (auto loaded = services_.objects->find(o.id))
                     items.push_back(object_json(*loaded, true));
                 }
                 TLOG(info, "http") << "object definitions uploaded" << log::kv("objects", name);
                 return json_response(201, {{"items", items}});
               }),
               .admin_only = true,
               .has_body = true,
               .body_type = "application/xml",
               .success_status = 201});
}

}  // namespace trellis::webapi
