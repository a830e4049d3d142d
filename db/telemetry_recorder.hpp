#pragma once
// The bus consumer that turns device data into stored telemetry:
//   {device}/messages/json              the three payload forms of DESIGN.md
//   {prefix}/{endpoint}/up/notify|resp  LwM2M read and notify results, keyed by path
// Parsing runs on its own strand, never on the publisher's thread.
#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string>

#include "core/auth.hpp"
#include "core/bus.hpp"
#include "core/metrics.hpp"

namespace trellis::db {

class TelemetryStore;

struct RecorderOptions {
  std::string lwm2m_prefix = "lwm2m";
  std::string lwm2m_response_topic = "up/resp";
  std::string lwm2m_notify_topic = "up/notify";
};

class TelemetryRecorder final : public Subscriber,
                                public std::enable_shared_from_this<TelemetryRecorder> {
 public:
  TelemetryRecorder(boost::asio::any_io_executor strand, TelemetryStore& store,
                    DeviceDirectory& directory, Metrics& metrics, RecorderOptions options);

  // Subscribes on the bus; call once.
  void start(Bus& bus);
  void deliver(const MessagePtr& msg, uint8_t qos) override;

  // Handles one message synchronously (the strand calls this; tests too).
  void record(const Message& msg);

 private:
  void record_device_json(const std::string& device, const Message& msg);
  void record_lwm2m(const std::string& endpoint, const Message& msg);

  boost::asio::any_io_executor strand_;
  TelemetryStore& store_;
  DeviceDirectory& directory_;
  RecorderOptions options_;
  Counter& stored_;
  Counter& malformed_;
  Counter& refused_;
};

}  // namespace trellis::db
