// telemetry_bench: end-to-end telemetry benchmark. Devices publish JSON data
// over MQTT 3.1.1 on `{device}/messages/json`; the figure counts only points the
// REST API can read back, so it covers broker, recorder, writer and SQLite.
// An independent client: it speaks the few MQTT bytes it needs itself and links
// no project library. Loopback only, bounded in count and wall-clock time;
// prints one key=value line per run.
//
//   telemetry_bench --mode=ingest --mqtt-port=N --http-port=N [--devices=D] [--points=P]
//                   [--keys-per-msg=K] [--qos=0|1] [--timeout=S] [--pid=BROKER_PID]
//   telemetry_bench --mode=query --mqtt-port=N --http-port=N [--points=1000000] [--queries=20]
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench/clock.hpp"
#include "bench/mqtt_conn.hpp"
#include "bench/options.hpp"
#include "bench/proc_stats.hpp"
#include "bench/raw_mqtt.hpp"
#include "bench/result_line.hpp"

namespace trellis::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Json = nlohmann::json;
using tcp = asio::ip::tcp;

// Hour-aligned (2023-11-14T22:00Z), so query mode's hourly buckets hold whole hours.
constexpr int64_t base_ms = 1'699'999'200'000;
constexpr int64_t hour_ms = 3'600'000;
// Query mode: one point every 3.6 s, so each hourly bucket holds this many.
constexpr int64_t points_per_hour = 1000;
constexpr int64_t query_step_ms = hour_ms / points_per_hour;
// One interval wider than every time stamp sent: agg=count then answers with a
// single bucket per key, read from the per-minute rollups.
constexpr const char* whole_range_interval = "100000d";
// Bytes queued per connection before the writer waits for the socket.
constexpr std::size_t write_chunk = 64 * 1024;

struct Options {
  Args args;  // read by the fields below, each with its --key
  std::string mode = args.text("mode");
  uint16_t mqtt_port = args.number<uint16_t>("mqtt-port", 0);
  uint16_t http_port = args.number<uint16_t>("http-port", 0);
  std::size_t devices = args.number<std::size_t>("devices", 1);
  uint64_t points = args.number<uint64_t>("points", 0);  // 0: the mode's default
  std::size_t keys_per_msg = args.number<std::size_t>("keys-per-msg", 10);
  // Query mode: points batched into one message.
  std::size_t points_per_msg = args.number<std::size_t>("points-per-msg", 10'000);
  int qos = args.number<int>("qos", 0);
  // QoS 1: PUBACKs outstanding per device.
  std::size_t window = args.number<std::size_t>("window", 32);
  // Messages a device queues per turn. 1 interleaves the devices as real ones
  // are; a large burst hands the store long runs of one device's series.
  std::size_t burst = args.number<std::size_t>("burst", 1);
  std::size_t queries = args.number<std::size_t>("queries", 20);
  double timeout = args.number<double>("timeout", 120);  // hard wall-clock limit of the whole run
  // Give up waiting once the stored count stops moving this long.
  double settle = args.number<double>("settle", 10);
  double poll = args.number<double>("poll", 0.05);    // seconds between count polls
  int pid = args.number<int>("pid", 0);               // broker pid, for its CPU time
  std::string tag = args.text("tag");                 // device id prefix; default unique per run
  std::string host = args.text("host", "127.0.0.1");  // loopback only
};

constexpr Usage usage{"telemetry_bench",
                      R"(usage: telemetry_bench --mode=ingest|query --mqtt-port=N --http-port=N
  [--devices=D] [--points=P] [--keys-per-msg=K] [--points-per-msg=N] [--qos=0|1]
  [--window=N] [--burst=N] [--queries=N] [--timeout=S] [--settle=S] [--poll=S]
  [--pid=BROKER_PID] [--tag=PREFIX] [--host=127.0.0.1]
)"};

Options parse_options(int argc, char** argv) {
  Options o{Args(argc, argv, usage)};
  o.args.finish();
  if (o.mode != "ingest" && o.mode != "query") usage("--mode must be ingest or query");
  if (o.mqtt_port == 0 || o.http_port == 0) usage("--mqtt-port and --http-port are required");
  if (o.qos < 0 || o.qos > 1) usage("--qos must be 0 or 1");
  if (o.points == 0) o.points = o.mode == "query" ? 1'000'000 : 100'000;
  if (o.devices < 1 || o.keys_per_msg < 1 || o.points_per_msg < 1 || o.window < 1 || o.burst < 1) {
    usage("--devices, --keys-per-msg, --points-per-msg, --window and --burst must be at least 1");
  }
  if (o.window > 60'000) usage("--window must be at most 60000 (MQTT packet ids)");
  if (o.mode == "ingest" && o.points % o.keys_per_msg != 0) {
    usage("--points must be a multiple of --keys-per-msg (every message carries K points)");
  }
  if (o.mode == "ingest" && o.points / o.keys_per_msg < o.devices) {
    usage("--points / --keys-per-msg must give every device at least one message");
  }
  if (o.queries < 1 || o.queries > 10'000) usage("--queries must be 1..10000");
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(o.host, ec);
  if (ec || !addr.is_loopback()) usage("loopback only: --host must be 127.x.x.x or ::1");
  // Unique per run, so a second run against the same server counts only its own points.
  if (o.tag.empty()) o.tag = "tb" + std::to_string(getpid());
  return o;
}

// utime + stime from /proc/<pid>/stat, which also counts the threads that
// exited during the run; a run lasts seconds, so its 10 ms steps do not matter.
double broker_cpu_s(int pid) {
  const int64_t ns = stat_cpu_ns(pid);
  return ns < 0 ? -1 : static_cast<double>(ns) / 1e9;
}

template <typename T>
void append_number(std::string& out, T v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

// ------------------------------------------------------------ publishing

// What each device sends: `messages[d]` messages, message i's JSON from `payload`.
struct PublishPlan {
  std::vector<std::string> device_ids;
  std::vector<uint64_t> messages;
  std::vector<uint64_t> points;  // per device, what the store must end up holding
  std::function<void(std::size_t device, uint64_t index, std::string& out)> payload;
};

struct PublishResult {
  bool ok = false;
  std::string error;
  uint64_t messages_sent = 0;
  Clock::time_point started{};   // every device connected, first publish queued
  Clock::time_point finished{};  // last publish written (QoS 0) or acknowledged (QoS 1)
};

// Runs every device's MQTT connection on one thread until all messages are
// out, an error, or the deadline.
class Publisher {
 public:
  Publisher(const Options& o, const PublishPlan& plan, Clock::time_point deadline)
      : o_(o), plan_(plan), deadline_(deadline), timer_(io_) {}

  PublishResult run() {
    const std::size_t n = plan_.device_ids.size();
    devices_.resize(n);
    tcp::endpoint ep(asio::ip::make_address(o_.host), o_.mqtt_port);
    for (std::size_t d = 0; d < n; ++d) {
      auto& dev = devices_[d];
      dev.topic = plan_.device_ids[d] + "/messages/json";
      dev.acked.assign(65536, true);
      dev.link = std::make_unique<Conn>(io_, 4096);
      Conn& link = *dev.link;
      // The client id names the device: an anonymous client whose id is a device is that device.
      const std::string& client_id = plan_.device_ids[d];
      link.on_connected = [&link, &client_id] { link.send(raw_mqtt::connect(client_id)); };
      link.on_error = [this, &client_id](const boost::system::error_code& ec, const char* where) {
        stop_with_error(client_id + " " + where + ": " + ec.message());
      };
      link.on_packet = [this, d](uint8_t first_byte, std::string_view body) {
        on_packet(d, first_byte, body);
      };
      link.on_drained = [this, d] { pump(d); };
    }
    timer_.expires_at(deadline_);
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) stop_with_error("timeout while publishing");
    });
    for (auto& dev : devices_) dev.link->connect(ep);
    io_.run();
    result_.ok = result_.error.empty() && done_ == n;
    if (result_.finished == Clock::time_point{}) result_.finished = Clock::now();
    return result_;
  }

 private:
  struct Device {
    std::unique_ptr<Conn> link;
    std::string topic;
    uint64_t next = 0;  // index of the next message to queue
    uint64_t acked_count = 0;
    std::size_t inflight = 0;
    uint16_t next_id = 1;
    std::vector<bool> acked;  // by packet id: false while a PUBACK is awaited
    bool done = false;
  };

  // The broker owes these clients only CONNACK and PUBACK, both 4 bytes long.
  void on_packet(std::size_t d, uint8_t first_byte, std::string_view body) {
    if (body.size() > 127) return fail(d, "unexpected large packet from the broker");
    const int type = first_byte >> 4;
    if (type == 2) {  // CONNACK
      if (body.size() < 2 || body[1] != 0) {
        return fail(d, "CONNACK refused, code " + std::to_string(body.size() < 2 ? -1 : body[1]));
      }
      if (++connected_ == devices_.size()) start_publishing();
    } else if (type == 4) {  // PUBACK
      if (body.size() < 2) return fail(d, "short PUBACK");
      on_puback(d, raw_mqtt::read_u16(body, 0));
    }
  }

  void start_publishing() {
    result_.started = Clock::now();
    for (std::size_t d = 0; d < devices_.size(); ++d) pump(d);
  }

  // Queues a burst of messages (within a chunk of bytes and the QoS 1 window), then writes.
  void pump(std::size_t d) {
    auto& dev = devices_[d];
    if (dev.done || result_.started == Clock::time_point{}) return;
    const uint64_t total = plan_.messages[d];
    for (std::size_t queued = 0;
         queued < o_.burst && dev.next < total && dev.link->out().size() < write_chunk &&
         (o_.qos == 0 || dev.inflight < o_.window);
         ++queued) {
      scratch_.clear();
      plan_.payload(d, dev.next, scratch_);
      uint16_t id = 0;
      if (o_.qos > 0) {
        id = take_packet_id(dev);
        if (id == 0) break;
        ++dev.inflight;
      }
      raw_mqtt::append_publish(dev.link->out(), dev.topic, scratch_, o_.qos, id);
      ++dev.next;
      ++result_.messages_sent;
    }
    dev.link->flush();
    const bool all_out = dev.next == total && !dev.link->writing() && dev.link->out().empty();
    if (all_out && (o_.qos == 0 || dev.acked_count == total)) finish_device(dev);
  }

  // 0 when the next id is still awaiting its PUBACK (the window wrapped round).
  uint16_t take_packet_id(Device& dev) {
    uint16_t id = dev.next_id;
    if (!dev.acked[id]) return 0;
    dev.acked[id] = false;
    dev.next_id = static_cast<uint16_t>(id == 65535 ? 1 : id + 1);
    return id;
  }

  void on_puback(std::size_t d, uint16_t id) {
    auto& dev = devices_[d];
    if (dev.acked[id]) return stop_with_error("PUBACK for a packet id not in flight");
    dev.acked[id] = true;
    --dev.inflight;
    ++dev.acked_count;
    pump(d);
  }

  void finish_device(Device& dev) {
    dev.done = true;
    dev.link->send(raw_mqtt::disconnect());
    dev.link->close_after_flush();
    if (++done_ == devices_.size()) {
      result_.finished = Clock::now();
      timer_.cancel();
    }
  }

  void fail(std::size_t d, const std::string& why) {
    devices_[d].link->close();
    stop_with_error(plan_.device_ids[d] + " " + why);
  }

  void stop_with_error(const std::string& why) {
    if (result_.error.empty()) result_.error = why;
    io_.stop();
  }

  const Options& o_;
  const PublishPlan& plan_;
  Clock::time_point deadline_;
  asio::io_context io_;
  asio::steady_timer timer_;
  std::vector<Device> devices_;
  std::size_t connected_ = 0;
  std::size_t done_ = 0;
  std::string scratch_;
  PublishResult result_;
};

// ------------------------------------------------------------ REST

struct HttpReply {
  unsigned status = 0;
  std::string body;
};

// A keep-alive GET client. Each call runs the io_context until the exchange
// ends or the stream's deadline cancels it.
class RestClient {
 public:
  RestClient(std::string host, uint16_t port) : host_(std::move(host)), port_(port), stream_(io_) {}

  std::optional<HttpReply> get(const std::string& target, Clock::time_point deadline) {
    // A kept-alive connection the server has since closed gets one fresh try.
    for (int attempt = 0; attempt < 2 && Clock::now() < deadline; ++attempt) {
      if (!connected_ && !connect(deadline)) return std::nullopt;
      if (auto reply = exchange(target, deadline)) return reply;
      close();
    }
    return std::nullopt;
  }

  const std::string& last_error() const { return last_error_; }

 private:
  bool connect(Clock::time_point deadline) {
    boost::system::error_code result;
    stream_.expires_at(deadline);
    stream_.async_connect(tcp::endpoint(asio::ip::make_address(host_), port_),
                          [&](const boost::system::error_code& ec) { result = ec; });
    io_.restart();
    io_.run();
    if (result) {
      last_error_ = "http connect: " + result.message();
      close();
      return false;
    }
    connected_ = true;
    return true;
  }

  std::optional<HttpReply> exchange(const std::string& target, Clock::time_point deadline) {
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, host_);
    req.keep_alive(true);
    http::response<http::string_body> res;
    boost::system::error_code result;
    stream_.expires_at(deadline);
    http::async_write(stream_, req, [&](const boost::system::error_code& ec, std::size_t) {
      if (ec) {
        result = ec;
        return;
      }
      http::async_read(stream_, buffer_, res,
                       [&](const boost::system::error_code& ec2, std::size_t) { result = ec2; });
    });
    io_.restart();
    io_.run();
    if (result) {
      last_error_ = "http " + target + ": " + result.message();
      return std::nullopt;
    }
    if (!res.keep_alive()) close();
    return HttpReply{res.result_int(), std::move(res.body())};
  }

  void close() {
    boost::system::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    buffer_.clear();
    connected_ = false;
  }

  std::string host_;
  uint16_t port_;
  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  bool connected_ = false;
  std::string last_error_;
};

std::string telemetry_target(const std::string& device, const std::string& query) {
  return "/api/v1/devices/" + device + "/telemetry?" + query;
}

// Numeric points stored for a device over every key and all time; 0 while the
// device does not exist yet, nullopt when the API cannot be read.
std::optional<uint64_t> stored_points(RestClient& rest, const std::string& device,
                                      Clock::time_point deadline) {
  auto reply =
      rest.get(telemetry_target(device, std::string("agg=count&interval=") + whole_range_interval),
               deadline);
  if (!reply) return std::nullopt;
  if (reply->status == 404) return 0;
  if (reply->status != 200) return std::nullopt;
  auto doc = Json::parse(reply->body, nullptr, false);
  if (!doc.is_object() || !doc.contains("items")) return std::nullopt;
  uint64_t n = 0;
  for (const auto& item : doc["items"]) {
    for (const auto& b : item.value("buckets", Json::array())) n += b.value("count", uint64_t{0});
  }
  return n;
}

struct StoreWait {
  bool complete = false;
  uint64_t stored = 0;
  Clock::time_point at{};
  std::string error;
};

// Polls the per-device counts until every device holds what it sent, the
// count stops moving for `settle` seconds, or the deadline. Devices are checked
// in order and a round ends at the first one still short, so each round costs
// one request plus one per device newly complete, not one per device.
StoreWait wait_until_stored(const Options& o, RestClient& rest, const PublishPlan& plan,
                            Clock::time_point deadline) {
  StoreWait w;
  const std::size_t n = plan.device_ids.size();
  std::vector<uint64_t> stored(n, 0);
  std::size_t first_short = 0;
  uint64_t last_total = 0;
  auto last_progress = Clock::now();
  const auto max_rounds = static_cast<uint64_t>(o.timeout / std::max(o.poll, 0.001)) + 1;
  for (uint64_t round = 0; round < max_rounds && Clock::now() < deadline; ++round) {
    while (first_short < n) {
      auto count = stored_points(rest, plan.device_ids[first_short], deadline);
      if (!count) {
        w.error = "cannot read the stored count: " + rest.last_error();
        break;
      }
      stored[first_short] = *count;
      if (*count < plan.points[first_short]) break;
      ++first_short;
    }
    w.stored = 0;
    for (auto s : stored) w.stored += s;
    if (first_short == n) {
      w.complete = true;
      w.at = Clock::now();
      return w;
    }
    if (w.stored != last_total) {
      last_total = w.stored;
      last_progress = Clock::now();
    } else if (seconds_between(last_progress, Clock::now()) > o.settle) {
      break;
    }
    std::this_thread::sleep_for(secs(o.poll));  // bounded polling: max_rounds and the deadline
  }
  // Short: count every device once more so `lost` is exact, not just the first short one.
  w.stored = 0;
  for (std::size_t d = 0; d < n; ++d) {
    if (d >= first_short) stored[d] = stored_points(rest, plan.device_ids[d], deadline).value_or(0);
    w.stored += stored[d];
  }
  w.at = Clock::now();
  if (w.error.empty()) w.error = "store still short when the wait ended";
  return w;
}

uint64_t total_of(const std::vector<uint64_t>& v) {
  uint64_t t = 0;
  for (auto x : v) t += x;
  return t;
}

// ------------------------------------------------------------ ingest mode

// Device d sends messages/D messages (the first ones one more for a remainder),
// each `{"<ms>": {"k0": v, ..., "k{K-1}": v}}`: K points stamped one ms apart
// per message, so every point is distinct.
PublishPlan ingest_plan(const Options& o) {
  PublishPlan plan;
  const uint64_t messages = o.points / o.keys_per_msg;
  for (std::size_t d = 0; d < o.devices; ++d) {
    plan.device_ids.push_back(o.tag + "-d" + std::to_string(d));
    plan.messages.push_back(messages / o.devices + (d < messages % o.devices ? 1 : 0));
    plan.points.push_back(plan.messages.back() * o.keys_per_msg);
  }
  std::vector<std::string> keys;
  for (std::size_t k = 0; k < o.keys_per_msg; ++k)
    keys.push_back("\"k" + std::to_string(k) + "\":");
  plan.payload = [keys](std::size_t, uint64_t i, std::string& out) {
    out += "{\"";
    append_number(out, base_ms + static_cast<int64_t>(i));
    out += "\":{";
    for (std::size_t k = 0; k < keys.size(); ++k) {
      if (k > 0) out += ',';
      out += keys[k];
      append_number(out, i % 1000);
      out += '.';
      append_number(out, k % 10);
    }
    out += "}}";
  };
  return plan;
}

// Empty when none of the plan's devices holds points yet. Counts that start at
// zero are what make "stored == sent" exact (an earlier run's points would
// otherwise satisfy the wait before this run's are written).
std::string check_devices_empty(RestClient& rest, const PublishPlan& plan,
                                Clock::time_point deadline) {
  for (const auto& id : plan.device_ids) {
    auto count = stored_points(rest, id, deadline);
    if (!count) return "cannot read the stored count: " + rest.last_error();
    if (*count > 0) {
      return "device " + id + " already holds " + std::to_string(*count) +
             " points; use another --tag or a fresh data_dir";
    }
  }
  return {};
}

// Publishes the plan and waits until the store holds all of it.
struct Delivery {
  PublishResult pub;
  StoreWait wait;
};

Delivery deliver(const Options& o, RestClient& rest, const PublishPlan& plan,
                 Clock::time_point deadline) {
  Delivery d;
  d.wait.error = check_devices_empty(rest, plan, deadline);
  if (!d.wait.error.empty()) return d;
  Publisher publisher(o, plan, deadline);
  d.pub = publisher.run();
  if (d.pub.ok) {
    d.wait = wait_until_stored(o, rest, plan, deadline);
  } else {
    d.wait.error = d.pub.error;
  }
  return d;
}

// "-" when nothing was published: a refused run lost nothing.
std::string lost_points(bool published, uint64_t sent, uint64_t stored) {
  if (!published) return "-";
  return std::to_string(sent > stored ? sent - stored : 0);
}

int run_ingest(const Options& o, Clock::time_point deadline) {
  PublishPlan plan = ingest_plan(o);
  const uint64_t sent_points = total_of(plan.points);
  RestClient rest(o.host, o.http_port);
  const double cpu_before = broker_cpu_s(o.pid);
  auto [pub, wait] = deliver(o, rest, plan, deadline);
  const double cpu_after = broker_cpu_s(o.pid);

  const bool started = pub.started != Clock::time_point{};
  const double publish_s = started ? seconds_between(pub.started, pub.finished) : 0;
  const double stored_s = started && wait.complete ? seconds_between(pub.started, wait.at) : 0;
  Line l;
  l.kv("mode", "ingest").kv("devices", o.devices).kv("points", sent_points);
  l.kv("keys_per_msg", o.keys_per_msg)
      .kv("qos", o.qos)
      .kv("burst", o.burst)
      .kv("messages", pub.messages_sent);
  l.kv("publish_s", fixed(publish_s, 3)).kv("stored_s", fixed(stored_s, 3));
  l.kv("points_per_s", stored_s > 0 ? fixed(sent_points / stored_s, 0) : "-");
  l.kv("publish_points_per_s", publish_s > 0 ? fixed(sent_points / publish_s, 0) : "-");
  l.kv("stored", wait.stored);
  l.kv("lost", lost_points(started, sent_points, wait.stored));
  l.kv("extra", wait.stored > sent_points ? wait.stored - sent_points : 0);
  l.kv("broker_cpu_s", cpu_before >= 0 && cpu_after >= 0 ? fixed(cpu_after - cpu_before, 2) : "-");
  // A fresh server per row: its peak is this row's.
  const int64_t peak_kb = peak_rss_kb(o.pid);
  l.kv("broker_peak_rss_mb", peak_kb >= 0 ? fixed(peak_kb / 1024.0, 0) : "-");
  l.kv("ok", wait.complete && wait.stored == sent_points ? 1 : 0);
  if (!wait.complete) l.kv("error", "\"" + wait.error + "\"");
  l.print();
  return wait.complete && wait.stored == sent_points ? 0 : 1;
}

// ------------------------------------------------------------ query mode

// Point i of the one series: at base + i*3.6 s, value hour + (i % 1000) / 1000,
// so bucket h holds 1000 points averaging h + 0.4995.
int64_t query_point_ts(uint64_t i) {
  return base_ms + static_cast<int64_t>(i) * query_step_ms;
}

// Integer and thousandths printed apart: the text is exact, whatever the double.
void append_query_point_value(std::string& out, uint64_t i) {
  append_number(out, i / points_per_hour);
  out += '.';
  const auto milli = i % points_per_hour;
  if (milli < 100) out += '0';
  if (milli < 10) out += '0';
  append_number(out, milli);
}

double expected_bucket_avg(uint64_t hour, uint64_t points_in_bucket) {
  return static_cast<double>(hour) + static_cast<double>(points_in_bucket - 1) * 0.0005;
}

// One device, one key "v", form 3 of the payload: [{"v": [{"timestamp": t, "value": x}, ...]}].
// The array form, because a batch of thousands of time stamps as object keys
// (form 2) is one large JSON object.
PublishPlan query_plan(const Options& o) {
  PublishPlan plan;
  plan.device_ids.push_back(o.tag + "-q");
  plan.messages.push_back((o.points + o.points_per_msg - 1) / o.points_per_msg);
  plan.points.push_back(o.points);
  const uint64_t total = o.points;
  const uint64_t per_msg = o.points_per_msg;
  plan.payload = [total, per_msg](std::size_t, uint64_t m, std::string& out) {
    const uint64_t first = m * per_msg;
    const uint64_t last = std::min(total, first + per_msg);
    out += "[{\"v\":[";
    for (uint64_t i = first; i < last; ++i) {
      if (i > first) out += ',';
      out += "{\"timestamp\":";
      append_number(out, query_point_ts(i));
      out += ",\"value\":";
      append_query_point_value(out, i);
      out += '}';
    }
    out += "]}]";
  };
  return plan;
}

std::string hourly_avg_query(const Options& o) {
  const int64_t to = query_point_ts(o.points - 1);
  return "keys=v&agg=avg&interval=1h&limit=10000&from=" + std::to_string(base_ms) +
         "&to=" + std::to_string(to);
}

// Empty when the answer holds exactly the buckets sent, each with its count and mean.
std::string check_hourly_answer(const Options& o, const std::string& body) {
  auto doc = Json::parse(body, nullptr, false);
  if (!doc.is_object() || !doc.contains("items") || doc["items"].size() != 1) {
    return "answer is not one item";
  }
  const auto& item = doc["items"][0];
  if (item.value("key", "") != "v") return "item key is not v";
  if (item.value("more", true)) return "answer says more buckets exist";
  const auto& buckets = item["buckets"];
  const uint64_t want = (o.points + points_per_hour - 1) / points_per_hour;
  if (buckets.size() != want) {
    return "bucket count " + std::to_string(buckets.size()) + " != " + std::to_string(want);
  }
  for (uint64_t h = 0; h < want; ++h) {
    const auto& b = buckets[h];
    const uint64_t n = std::min<uint64_t>(points_per_hour, o.points - h * points_per_hour);
    const double avg = b.value("value", std::nan(""));
    if (b.value("start", int64_t{0}) != base_ms + static_cast<int64_t>(h) * hour_ms) {
      return "bucket " + std::to_string(h) + " starts at the wrong time";
    }
    if (b.value("count", uint64_t{0}) != n) return "bucket " + std::to_string(h) + " count wrong";
    if (!(std::fabs(avg - expected_bucket_avg(h, n)) < 1e-6)) {
      return "bucket " + std::to_string(h) + " avg " + fixed(avg, 6) +
             " != " + fixed(expected_bucket_avg(h, n), 6);
    }
  }
  return {};
}

double percentile_ms(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

int run_query(const Options& o, Clock::time_point deadline) {
  PublishPlan plan = query_plan(o);
  RestClient rest(o.host, o.http_port);
  auto [pub, wait] = deliver(o, rest, plan, deadline);

  std::vector<double> times_ms;
  std::string problem = wait.complete ? "" : wait.error;
  const std::string target = telemetry_target(plan.device_ids[0], hourly_avg_query(o));
  std::size_t buckets = 0;
  for (std::size_t q = 0; q < o.queries && problem.empty(); ++q) {
    auto t0 = Clock::now();
    auto reply = rest.get(target, deadline);
    auto t1 = Clock::now();
    if (!reply || reply->status != 200) {
      problem = reply ? "query answered " + std::to_string(reply->status) : rest.last_error();
      break;
    }
    times_ms.push_back(seconds_between(t0, t1) * 1000);
    problem = check_hourly_answer(o, reply->body);
    if (problem.empty()) buckets = (o.points + points_per_hour - 1) / points_per_hour;
  }

  const bool started = pub.started != Clock::time_point{};
  const double load_s = started && wait.complete ? seconds_between(pub.started, wait.at) : 0;
  Line l;
  l.kv("mode", "query").kv("points", o.points).kv("qos", o.qos);
  l.kv("load_s", fixed(load_s, 3));
  l.kv("load_points_per_s", load_s > 0 ? fixed(o.points / load_s, 0) : "-");
  l.kv("lost", lost_points(started, o.points, wait.stored));
  l.kv("buckets", buckets).kv("queries", times_ms.size());
  l.kv("p50_ms", fixed(percentile_ms(times_ms, 50), 2));
  l.kv("p99_ms", fixed(percentile_ms(times_ms, 99), 2));
  l.kv("max_ms", fixed(percentile_ms(times_ms, 100), 2));
  l.kv("ok", problem.empty() ? 1 : 0).error(problem).print();
  return problem.empty() ? 0 : 1;
}

}  // namespace
}  // namespace trellis::bench

int main(int argc, char** argv) {
  using namespace trellis::bench;
  const Options o = parse_options(argc, argv);
  const auto deadline = Clock::now() + secs(o.timeout);
  try {
    return o.mode == "ingest" ? run_ingest(o, deadline) : run_query(o, deadline);
  } catch (const std::exception& e) {
    std::printf("mode=%s ok=0 error=\"%s\"\n", o.mode.c_str(), e.what());
    return 1;
  }
}
