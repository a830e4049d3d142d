#include "db/telemetry_recorder.hpp"

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "core/json_text.hpp"
#include "core/log.hpp"
#include "core/topic.hpp"
#include "db/telemetry_payload.hpp"
#include "db/telemetry_store.hpp"

namespace trellis::db {

TelemetryRecorder::TelemetryRecorder(boost::asio::any_io_executor strand, TelemetryStore& store,
                                     DeviceDirectory& directory, Metrics& metrics,
                                     RecorderOptions options)
    : strand_(std::move(strand)),
      store_(store),
      directory_(directory),
      options_(std::move(options)),
      stored_(metrics.counter("trellis_telemetry_points_received_total",
                              "telemetry points accepted for storage")),
      malformed_(metrics.counter("trellis_telemetry_malformed_total",
                                 "telemetry payloads refused as malformed")),
      refused_(metrics.counter("trellis_telemetry_refused_total",
                               "telemetry from unknown devices while auto-registration is off")) {}

void TelemetryRecorder::start(Bus& bus) {
  auto self = shared_from_this();
  bus.subscribe(self, "+/messages/json", 1);
  bus.subscribe(self, options_.lwm2m_prefix + "/+/" + options_.lwm2m_notify_topic, 1);
  bus.subscribe(self, options_.lwm2m_prefix + "/+/" + options_.lwm2m_response_topic, 1);
}

void TelemetryRecorder::deliver(const MessagePtr& msg, uint8_t) {
  // A message waiting for its turn here is part of the backlog; adding it on
  // the publisher's thread tells that publisher when the backlog is full.
  Backlog& backlog = store_.backlog();
  std::size_t bytes = queued_size(*msg);
  backlog.add(bytes);
  boost::asio::post(strand_, [self = shared_from_this(), msg, &backlog, bytes] {
    self->record(*msg);
    backlog.remove(bytes);  // its points, if any, are in the backlog now
  });
}

void TelemetryRecorder::record(const Message& msg) {
  auto levels = topic::split_levels(msg.topic);
  if (levels.size() == 3 && levels[1] == "messages" && levels[2] == "json") {
    record_device_json(std::string(levels[0]), msg);
    return;
  }
  auto prefix_levels = topic::split_levels(options_.lwm2m_prefix);
  if (levels.size() > prefix_levels.size()) {
    record_lwm2m(std::string(levels[prefix_levels.size()]), msg);
  }
}

void TelemetryRecorder::record_device_json(const std::string& device, const Message& msg) {
  auto id = directory_.admit("mqtt", device);
  if (!id) {
    refused_.add();
    TLOG(info, "telemetry") << "data from unknown device refused" << log::kv("device", device);
    return;
  }
  auto points = parse_telemetry_payload(msg.body(), msg.time_ms ? msg.time_ms : now_ms());
  if (!points) {
    malformed_.add();
    TLOG(warn, "telemetry") << "malformed payload" << log::kv("device", *id)
                            << log::kv("error", points.error().code)
                            << log::kv("detail", points.error().message);
    return;
  }
  for (auto& p : *points) p.device_id = *id;
  stored_.add(points->size());
  store_.enqueue(std::move(*points));
}

void TelemetryRecorder::record_lwm2m(const std::string& endpoint, const Message& msg) {
  if (!json_nesting_within(msg.body())) return;
  auto doc = nlohmann::json::parse(msg.body(), nullptr, false);
  if (!doc.is_object()) return;
  // Anyone allowed to publish on these topics can send them: members of
  // another type read as absent.
  auto type = string_member(doc, "msgType").value_or("");
  // An observe command's answer carries the current value, like a read; a
  // Send (LwM2M 1.1) the values the client chose to report.
  if (type != "read" && type != "observe" && type != "notify" && type != "send") return;
  auto data = doc.find("data");
  if (data == doc.end() || !data->is_object()) return;
  auto code = string_member(*data, "code").value_or("");
  if (code != "2.05" && code != "2.04") return;
  auto content = data->find("content");
  if (content == data->end() || !content->is_array()) return;
  auto id = directory_.admit("lwm2m", endpoint);
  if (!id) {
    refused_.add();
    return;
  }
  int64_t ts = msg.time_ms ? msg.time_ms : now_ms();
  std::vector<Point> points;
  for (const auto& item : *content) {
    if (!item.is_object() || !item.contains("path") || !item.contains("value")) continue;
    const auto& v = item["value"];
    Point p;
    p.device_id = *id;
    p.key = string_member(item, "path").value_or("");
    // A value the client time-stamped (SenML "t", seconds) is stored at that time.
    const auto t = item.find("time");
    const double t_ms = t != item.end() && t->is_number() ? t->get<double>() * 1000 : -1;
    // Out of range (or not finite) it is not a time: converting it would be undefined.
    p.ts_ms = t_ms >= 0 && t_ms <= static_cast<double>(max_timestamp_ms)
                  ? static_cast<int64_t>(t_ms)
                  : ts;
    if (p.key.empty()) continue;
    if (v.is_boolean()) {
      p.value = v.get<bool>();
    } else if (v.is_number()) {
      p.value = v.get<double>();
    } else if (v.is_string()) {
      p.value = v.get<std::string>();
    } else {
      continue;  // links and nested values are not telemetry
    }
    points.push_back(std::move(p));
  }
  if (points.empty()) return;
  stored_.add(points.size());
  store_.enqueue(std::move(points));
}

}  // namespace trellis::db
