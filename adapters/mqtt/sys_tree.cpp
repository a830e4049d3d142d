#include "adapters/mqtt/sys_tree.hpp"

#include <boost/asio/strand.hpp>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace trellis::mqtt {

namespace asio = boost::asio;

SysTree::SysTree(asio::io_context& io, Broker& broker, std::chrono::seconds interval)
    : broker_(broker),
      interval_(interval),
      timer_(asio::make_strand(io)),
      started_(std::chrono::steady_clock::now()),
      last_tick_(started_) {
  // Mosquitto gives its build time here; the start time tells a user more.
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  started_at_ = buf;
}

void SysTree::start() {
  if (interval_.count() == 0) return;
  // The first copy is published here, before the server runs its threads, so
  // that no client can subscribe before the retained figures exist.
  publish_now();
  asio::post(timer_.get_executor(), [this] { wait_then_tick(); });
}

void SysTree::stop() {
  asio::post(timer_.get_executor(), [this] { timer_.cancel(); });
}

void SysTree::wait_then_tick() {
  timer_.expires_after(interval_);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    publish_now();
    wait_then_tick();
  });
}

void SysTree::put(const std::string& topic, const std::string& value) {
  broker_.bus().publish(make_message("$SYS/broker/" + topic, value, 0, true));
}

void SysTree::update_load(const std::string& name, uint64_t total, double seconds) {
  auto& l = loads_[name];
  if (l.primed && seconds > 0) {
    double per_minute = static_cast<double>(total - l.last) * 60.0 / seconds;
    auto smooth = [&](double& avg, double window_s) {
      avg += (per_minute - avg) * (1.0 - std::exp(-seconds / window_s));
    };
    smooth(l.m1, 60);
    smooth(l.m5, 300);
    smooth(l.m15, 900);
  }
  l.last = total;
  l.primed = true;
  char buf[64];
  auto emit = [&](const char* window, double v) {
    std::snprintf(buf, sizeof buf, "%.2f", v);
    put("load/" + name + "/" + window, buf);
  };
  emit("1min", l.m1);
  emit("5min", l.m5);
  emit("15min", l.m15);
}

void SysTree::publish_now() {
  auto now = std::chrono::steady_clock::now();
  double seconds = std::chrono::duration<double>(now - last_tick_).count();
  last_tick_ = now;
  auto& c = broker_.counters();
  auto u = [](auto v) { return std::to_string(v); };

  int64_t connected = c.clients_connected.value();
  int64_t sessions = static_cast<int64_t>(broker_.session_count());
  int64_t total = sessions;  // connected plus persistent sessions kept while away
  put("clients/connected", u(connected));
  put("clients/active", u(connected));
  put("clients/disconnected", u(total - connected));
  put("clients/inactive", u(total - connected));
  put("clients/total", u(total));
  put("clients/maximum", u(c.clients_maximum.value()));
  put("clients/expired", "0");

  put("bytes/received", u(c.bytes_received.value()));
  put("bytes/sent", u(c.bytes_sent.value()));
  put("messages/received", u(c.messages_received.value()));
  put("messages/sent", u(c.messages_sent.value()));
  put("publish/messages/received", u(c.publish_received.value()));
  put("publish/messages/sent", u(c.publish_sent.value()));
  put("publish/messages/dropped", u(c.publish_dropped.value()));
  put("publish/bytes/received", u(c.publish_bytes_received.value()));
  put("publish/bytes/sent", u(c.publish_bytes_sent.value()));

  auto inflight = broker_.inflight_count();
  c.inflight.set(static_cast<int64_t>(inflight));
  put("messages/inflight", u(inflight));
  // Stored: retained messages plus those waiting in sessions, as Mosquitto counts.
  auto retained = broker_.bus().retained_count();
  auto stored = retained + broker_.queued_count() + inflight;
  put("retained messages/count", u(retained));
  put("messages/stored", u(stored));
  put("store/messages/count", u(stored));
  std::size_t retained_bytes = 0;
  for (const auto& m : broker_.bus().retained("#")) retained_bytes += m->body().size();
  put("store/messages/bytes", u(retained_bytes));
  put("subscriptions/count", u(broker_.subscription_count()));

  update_load("messages/received", c.messages_received.value(), seconds);
  update_load("messages/sent", c.messages_sent.value(), seconds);
  update_load("publish/received", c.publish_received.value(), seconds);
  update_load("publish/sent", c.publish_sent.value(), seconds);
  update_load("publish/dropped", c.publish_dropped.value(), seconds);
  update_load("bytes/received", c.bytes_received.value(), seconds);
  update_load("bytes/sent", c.bytes_sent.value(), seconds);
  update_load("connections", c.connections_total.value(), seconds);
  update_load("sockets", c.connections_total.value(), seconds);

  auto up = std::chrono::duration_cast<std::chrono::seconds>(now - started_).count();
  put("uptime", u(up) + " seconds");
  put("time", u(std::time(nullptr)));
  put("version", std::string("trellis version ") + TRELLIS_VERSION);
  put("timestamp", started_at_);
}

}  // namespace trellis::mqtt
