// loadgen: MQTT 3.1.1 load generator for the benchmark suite (issue 7).
// Loopback only, one thread, bounded in message count and wall-clock time;
// prints one key=value line per run. See bench/README section in the top README.
//
//   loadgen --scenario=fanin|fanout|latency|idle|connrate --port=N [options]
//
// Every delivered message carries (publisher index, sequence, send time), so
// each subscriber counts what arrived and checks order per publisher.
#include <unistd.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "adapters/mqtt/codec.hpp"
#include "bench/clock.hpp"
#include "bench/mqtt_conn.hpp"
#include "bench/open_files.hpp"
#include "bench/options.hpp"
#include "bench/proc_stats.hpp"
#include "bench/result_line.hpp"

namespace trellis::bench {
namespace {

namespace asio = boost::asio;

struct Options {
  Args args;  // read by the fields below, each with its --key
  std::string scenario = args.text("scenario");
  uint16_t port = args.number<uint16_t>("port", 1883);
  int qos = args.number<int>("qos", 0);
  std::size_t pubs = args.number<std::size_t>("pubs", 0);  // 0: the scenario's default
  std::size_t subs = args.number<std::size_t>("subs", 0);
  std::size_t size = args.number<std::size_t>("size", 64);  // payload bytes
  // Messages published (all publishers together).
  uint64_t count = args.number<uint64_t>("count", 100'000);
  double rate = args.number<double>("rate", 10'000);             // latency: messages per second
  std::size_t conns = args.number<std::size_t>("conns", 1'000);  // idle / connrate
  std::size_t concurrency = args.number<std::size_t>("concurrency", 100);
  double hold = args.number<double>("hold", 3);         // idle: seconds to hold the connections
  double timeout = args.number<double>("timeout", 60);  // hard wall-clock limit of the whole run
  // Messages in flight from publishers to each subscriber.
  std::size_t window = args.number<std::size_t>("window", 4'000);
  // QoS 1: PUBACKs outstanding per publisher.
  std::size_t pub_window = args.number<std::size_t>("pub-window", 64);
  int pid = args.number<int>("pid", 0);  // broker pid, for CPU time and resident memory
  // Copied into the output line (e.g. the broker name).
  std::string label = args.text("label");
  std::string host = args.text("host", "127.0.0.1");  // loopback only
};

constexpr Usage usage{"loadgen",
                      R"(usage: loadgen --scenario=fanin|fanout|latency|idle|connrate --port=N
  [--qos=0|1] [--pubs=N] [--subs=N] [--size=BYTES] [--count=N] [--rate=MSG_S]
  [--conns=N] [--concurrency=N] [--hold=S] [--timeout=S] [--window=N]
  [--pub-window=N] [--pid=BROKER_PID] [--label=TEXT] [--host=127.0.0.1]
)"};

Options parse_options(int argc, char** argv) {
  Options o{Args(argc, argv, usage)};
  o.args.finish();
  if (o.qos < 0 || o.qos > 1) usage("--qos must be 0 or 1");
  auto addr = asio::ip::make_address(o.host);
  if (!addr.is_loopback()) usage("loopback only: --host must be 127.x.x.x or ::1");
  return o;
}

// ------------------------------------------------------------ broker probes

// In microseconds, the result line's unit; unknown (-1) stays unknown.
int64_t broker_cpu_us(int pid) {
  const int64_t ns = cpu_ns(pid);
  return ns < 0 ? -1 : ns / 1000;
}

// steal_ms over the run, and as a share of all CPUs' time: the context a
// latency tail needs. Unknown (-1) stays unknown.
void report_steal(Line& l, int64_t before, int64_t after, double secs) {
  const bool have = before >= 0 && after >= 0;
  l.kv("steal_ms", have ? after - before : -1);
  const double cpu_ms = secs * 1000 * static_cast<double>(sysconf(_SC_NPROCESSORS_ONLN));
  l.kv("steal_pct", have && cpu_ms > 0 ? fixed(100.0 * double(after - before) / cpu_ms, 1) : "-");
}

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// ------------------------------------------------------------ encoding

std::string connect_packet(const std::string& client_id) {
  mqtt::Connect c;
  c.client_id = client_id;
  c.clean_session = true;
  c.keepalive = 0;  // idle connections must not be dropped for silence
  return mqtt::encode(c);
}

std::string subscribe_packet(const std::string& filter, int qos) {
  mqtt::Subscribe s;
  s.packet_id = 1;
  s.topics.push_back({filter, static_cast<uint8_t>(qos)});
  return mqtt::encode(s);
}

// Payload layout: publisher index (4), sequence (8), send time ns (8), filler.
constexpr std::size_t stamp_size = 20;

template <typename T>
void put(char* p, T v) {
  std::memcpy(p, &v, sizeof v);
}
template <typename T>
T get(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

uint16_t be16(std::string_view s, std::size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(s[at]) << 8) |
                               static_cast<uint8_t>(s[at + 1]));
}

// ------------------------------------------------------------ message runs

// fan-in, fan-out and paced latency: publishers -> broker -> subscribers.
class MessageRun {
 public:
  MessageRun(const Options& o, bool paced) : o_(o), paced_(paced), timer_(io_), pace_(io_) {
    ep_ = asio::ip::tcp::endpoint(asio::ip::make_address(o.host), o.port);
    tag_ = "lg" + std::to_string(getpid());
  }

  int run() {
    const bool fanin = o_.scenario == "fanin";
    pubs_n_ = o_.pubs ? o_.pubs : (fanin ? 10 : 1);
    subs_n_ = o_.subs ? o_.subs : (o_.scenario == "fanout" ? 100 : 1);
    if (o_.size < stamp_size) usage("--size must be at least 20 bytes");
    if (o_.count < pubs_n_) usage("--count must be at least the number of publishers");

    recv_.assign(subs_n_, std::vector<uint64_t>(pubs_n_, 0));
    next_.assign(subs_n_, std::vector<uint64_t>(pubs_n_, 0));
    sub_total_.assign(subs_n_, 0);
    sent_.assign(pubs_n_, 0);
    acked_.assign(pubs_n_, 0);
    quota_.assign(pubs_n_, o_.count / pubs_n_);
    for (std::size_t i = 0; i < o_.count % pubs_n_; ++i) ++quota_[i];
    per_pub_window_ = std::max<std::size_t>(1, o_.window / pubs_n_);
    if (paced_) latencies_.reserve(o_.count);

    timer_.expires_after(secs(o_.timeout));
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      timed_out_ = true;
      io_.stop();
    });

    const std::string base = "bench/" + tag_ + "/";
    for (std::size_t s = 0; s < subs_n_; ++s) {
      auto c = std::make_unique<Conn>(io_, 64 * 1024);
      Conn* raw = c.get();
      c->on_error = [this](auto& ec, const char* where) { error(ec, where); };
      c->on_connected = [this, raw, s] {
        raw->send(connect_packet(tag_ + "s" + std::to_string(s)));
      };
      std::string filter = o_.scenario == "fanin" ? base + "#" : base + "t";
      c->on_packet = [this, raw, s, filter](uint8_t b, std::string_view body) {
        on_sub_packet(*raw, s, filter, b, body);
      };
      c->on_drained = nullptr;
      subs_.push_back(std::move(c));
    }
    for (std::size_t p = 0; p < pubs_n_; ++p) {
      auto c = std::make_unique<Conn>(io_, 4 * 1024);
      Conn* raw = c.get();
      std::string topic = o_.scenario == "fanin" ? base + "p" + std::to_string(p) : base + "t";
      headers_.push_back(mqtt::encode_publish_header(topic, static_cast<uint8_t>(o_.qos), false,
                                                     false, o_.qos ? 1 : 0, o_.size));
      c->on_error = [this](auto& ec, const char* where) { error(ec, where); };
      c->on_connected = [this, raw, p] {
        raw->send(connect_packet(tag_ + "p" + std::to_string(p)));
      };
      c->on_packet = [this, p](uint8_t b, std::string_view body) { on_pub_packet(p, b, body); };
      c->on_drained = [this, p] {
        if (started_ && !paced_) pump(p);
      };
      pubs_.push_back(std::move(c));
    }
    for (auto& c : subs_) c->connect(ep_);
    for (auto& c : pubs_) c->connect(ep_);

    io_.run();
    report();
    return ok() ? 0 : 1;
  }

 private:
  void error(const boost::system::error_code& ec, const char* where) {
    if (finished_) return;
    ++errors_;
    if (first_error_.empty()) first_error_ = std::string(where) + ":" + ec.message();
    io_.stop();
  }

  void on_sub_packet(Conn& c, std::size_t s, const std::string& filter, uint8_t b,
                     std::string_view body) {
    const auto type = b >> 4;
    if (type == 3) return on_publish(c, s, b, body);
    if (type == 2) {  // CONNACK
      if (body.size() < 2 || body[1] != 0) return error(asio::error::connection_refused, "connack");
      c.send(subscribe_packet(filter, o_.qos));
    } else if (type == 9) {  // SUBACK
      if (body.size() < 3 || static_cast<uint8_t>(body[2]) == 0x80) {
        return error(asio::error::access_denied, "suback");
      }
      ++ready_;
      maybe_start();
    }
  }

  void on_publish(Conn& c, std::size_t s, uint8_t b, std::string_view body) {
    const int qos = (b >> 1) & 3;
    if (body.size() < 2) return error(asio::error::invalid_argument, "publish");
    std::size_t at = 2 + be16(body, 0);
    if (qos > 0) {
      if (body.size() < at + 2) return error(asio::error::invalid_argument, "publish");
      mqtt::encode_to(mqtt::Puback{be16(body, at)}, c.out());
      at += 2;
    }
    if (body.size() < at + stamp_size) return error(asio::error::invalid_argument, "payload");
    const char* payload = body.data() + at;
    const auto p = get<uint32_t>(payload);
    const auto seq = get<uint64_t>(payload + 4);
    if (p >= pubs_n_) return error(asio::error::invalid_argument, "publisher index");
    if (b & 0x08) ++dups_;
    auto& next = next_[s][p];
    if (seq == next) {
      ++next;
    } else if (seq > next) {
      ++gaps_;  // a hole: lost unless it shows up later (then it counts as reordered)
      next = seq + 1;
    } else {
      ++reordered_;
    }
    ++recv_[s][p];
    ++sub_total_[s];
    ++received_;
    if (paced_) latencies_.push_back(now_ns() - get<int64_t>(payload + 12));
    if (received_ == expected_) {
      last_delivery_ = Clock::now();
      maybe_finish();
    }
    // Acks and wake-ups leave once per read, not once per message.
    if (!pending_flush_) {
      pending_flush_ = true;
      asio::post(io_, [this] {
        pending_flush_ = false;
        for (auto& sub : subs_) sub->flush();
        if (!paced_) {
          for (std::size_t q = 0; q < pubs_n_; ++q) {
            if (!pubs_[q]->writing()) pump(q);
          }
        }
      });
    }
  }

  void on_pub_packet(std::size_t p, uint8_t b, std::string_view body) {
    const auto type = b >> 4;
    if (type == 2) {
      if (body.size() < 2 || body[1] != 0) return error(asio::error::connection_refused, "connack");
      ++ready_;
      maybe_start();
    } else if (type == 4) {  // PUBACK: acks come in order on one connection
      ++acked_[p];
      ++acked_total_;
      if (acked_total_ == o_.count) maybe_finish();
      if (paced_ && pace_blocked_) {
        pace_blocked_ = false;
        return pace();
      }
      if (!paced_ && !pubs_[p]->writing()) pump(p);
    }
  }

  void maybe_start() {
    if (ready_ != subs_n_ + pubs_n_ || started_) return;
    started_ = true;
    expected_ = o_.count * subs_n_;
    cpu_before_ = broker_cpu_us(o_.pid);
    steal_before_ = machine_steal_ms();
    start_ = Clock::now();
    if (paced_) return pace();
    for (std::size_t p = 0; p < pubs_n_; ++p) pump(p);
  }

  // Appends one PUBLISH of publisher p with the next sequence number.
  void append_publish(std::size_t p) {
    auto& out = pubs_[p]->out();
    std::string& h = headers_[p];
    if (o_.qos > 0) {
      // Packet identifiers cycle 1..65535; far fewer than that are ever outstanding.
      const auto id = static_cast<uint16_t>(sent_[p] % 65535 + 1);
      h[h.size() - 2] = static_cast<char>(id >> 8);
      h[h.size() - 1] = static_cast<char>(id & 0xff);
    }
    out.append(h);
    const std::size_t at = out.size();
    out.resize(at + o_.size, 'x');
    put<uint32_t>(&out[at], static_cast<uint32_t>(p));
    put<uint64_t>(&out[at + 4], sent_[p]);
    put<int64_t>(&out[at + 12], now_ns());
    ++sent_[p];
  }

  // Fills publisher p's buffer while it stays within its windows, then writes.
  void pump(std::size_t p) {
    if (finished_) return;
    uint64_t slowest = UINT64_MAX;
    for (std::size_t s = 0; s < subs_n_; ++s) slowest = std::min(slowest, recv_[s][p]);
    auto& c = *pubs_[p];
    while (sent_[p] < quota_[p] && c.out().size() < 64 * 1024 &&
           sent_[p] - slowest < per_pub_window_ &&
           (o_.qos == 0 || sent_[p] - acked_[p] < o_.pub_window)) {
      append_publish(p);
    }
    c.flush();
  }

  // Paced publishing: sends what is due by now, then sleeps until the next one is.
  void pace() {
    if (finished_) return;
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    const auto due = std::min<uint64_t>(o_.count, static_cast<uint64_t>(elapsed * o_.rate) + 1);
    while (sent_[0] < due && (o_.qos == 0 || sent_[0] - acked_[0] < o_.pub_window)) {
      append_publish(0);
    }
    pubs_[0]->flush();
    if (sent_[0] >= o_.count) return;
    if (sent_[0] < due) {
      pace_blocked_ = true;  // the PUBACK window is full: the next PUBACK resumes pacing
      return;
    }
    pace_.expires_at(start_ + secs(sent_[0] / o_.rate));
    pace_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) pace();
    });
  }

  void maybe_finish() {
    if (received_ < expected_ || (o_.qos > 0 && acked_total_ < o_.count)) return;
    finished_ = true;
    end_ = Clock::now();
    cpu_after_ = broker_cpu_us(o_.pid);
    steal_after_ = machine_steal_ms();
    for (auto& c : subs_) c->close();
    for (auto& c : pubs_) c->close();
    io_.stop();
  }

  bool ok() const {
    return finished_ && !timed_out_ && errors_ == 0 && received_ == expected_ && reordered_ == 0;
  }

  void report() {
    if (!finished_) {
      end_ = Clock::now();
      last_delivery_ = end_;
      cpu_after_ = broker_cpu_us(o_.pid);
      steal_after_ = machine_steal_ms();
    }
    if (!started_) start_ = end_;
    const double secs = std::chrono::duration<double>(last_delivery_ - start_).count();
    const uint64_t sent = [&] {
      uint64_t n = 0;
      for (auto v : sent_) n += v;
      return n;
    }();
    Line l;
    l.kv("scenario", o_.scenario).kv("label", o_.label.empty() ? "-" : o_.label).kv("qos", o_.qos);
    l.kv("pubs", pubs_n_).kv("subs", subs_n_).kv("size", o_.size).kv("count", o_.count);
    if (paced_) l.kv("rate", fixed(o_.rate, 0));
    l.kv("sent", sent).kv("expected", expected_).kv("received", received_);
    l.kv("lost", expected_ > received_ ? expected_ - received_ : 0);
    l.kv("reordered", reordered_).kv("gaps", gaps_).kv("dup", dups_);
    l.kv("elapsed_s", fixed(secs, 3));
    l.kv("msgs_per_s", fixed(secs > 0 ? received_ / secs : 0, 0));
    const int64_t cpu = cpu_before_ >= 0 && cpu_after_ >= 0 ? cpu_after_ - cpu_before_ : -1;
    l.kv("broker_cpu_us", cpu);
    l.kv("cpu_us_per_msg", cpu >= 0 && received_ ? fixed(double(cpu) / received_, 3) : "-");
    report_steal(l, steal_before_, steal_after_, secs);
    if (paced_) {
      auto pct = [&](double q) -> std::string {
        if (latencies_.empty()) return "-";
        auto v = latencies_;
        auto k = static_cast<std::size_t>(q * (v.size() - 1));
        std::nth_element(v.begin(), v.begin() + k, v.end());
        return fixed(v[k] / 1000.0, 1);
      };
      l.kv("p50_us", pct(0.50)).kv("p99_us", pct(0.99)).kv("max_us", pct(1.0));
    }
    l.kv("timeout", timed_out_ ? 1 : 0).kv("errors", errors_).error(first_error_);
    l.kv("ok", ok() ? 1 : 0).print();
  }

  const Options& o_;
  const bool paced_;
  asio::io_context io_;
  asio::steady_timer timer_;
  asio::steady_timer pace_;
  asio::ip::tcp::endpoint ep_;
  std::string tag_;
  std::size_t pubs_n_ = 0, subs_n_ = 0, per_pub_window_ = 0;
  std::vector<std::unique_ptr<Conn>> subs_, pubs_;
  std::vector<std::string> headers_;
  std::vector<std::vector<uint64_t>> recv_, next_;
  std::vector<uint64_t> sub_total_, sent_, acked_, quota_;
  std::vector<int64_t> latencies_;
  std::size_t ready_ = 0;
  uint64_t expected_ = 0, received_ = 0, acked_total_ = 0;
  uint64_t reordered_ = 0, gaps_ = 0, dups_ = 0, errors_ = 0;
  std::string first_error_;
  bool started_ = false, finished_ = false, timed_out_ = false, pending_flush_ = false;
  bool pace_blocked_ = false;
  Clock::time_point start_, end_, last_delivery_;
  int64_t cpu_before_ = -1, cpu_after_ = -1;
  int64_t steal_before_ = -1, steal_after_ = -1;
};

// ------------------------------------------------------------ connection runs

// idle: open N connections and hold them; connrate: N x (connect, CONNACK, DISCONNECT).
class ConnectionRun {
 public:
  explicit ConnectionRun(const Options& o) : o_(o), timer_(io_), hold_(io_) {
    ep_ = asio::ip::tcp::endpoint(asio::ip::make_address(o.host), o.port);
    tag_ = "lg" + std::to_string(getpid()) + "c";
    idle_ = o.scenario == "idle";
  }

  int run() {
    raise_open_file_limit();
    timer_.expires_after(secs(o_.timeout));
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      timed_out_ = true;
      io_.stop();
    });
    rss_before_ = rss_kb(o_.pid);
    cpu_before_ = broker_cpu_us(o_.pid);
    steal_before_ = machine_steal_ms();
    start_ = Clock::now();
    conns_.reserve(o_.conns);
    for (std::size_t i = 0; i < std::min(o_.concurrency, o_.conns); ++i) open_next();
    io_.run();
    if (!finished_) end_ = Clock::now();
    report();
    return ok() ? 0 : 1;
  }

 private:
  void open_next() {
    if (opened_ >= o_.conns || failed_) return;
    const std::size_t i = opened_++;
    // Closed connections keep their (small) object: a cancelled handler may still refer to it.
    conns_.push_back(std::make_unique<Conn>(io_, 64));
    Conn* c = conns_.back().get();
    c->on_error = [this, c](auto& ec, const char* where) {
      // A connection the harness closed itself after DISCONNECT is not a failure.
      if (c->closed() && !idle_) return;
      ++errors_;
      if (first_error_.empty()) first_error_ = std::string(where) + ":" + ec.message();
      failed_ = true;
      io_.stop();
    };
    c->on_connected = [this, c, i] { c->send(connect_packet(tag_ + std::to_string(i))); };
    c->on_packet = [this, c](uint8_t b, std::string_view body) {
      if ((b >> 4) != 2) return;
      if (body.size() < 2 || body[1] != 0) {
        ++errors_;
        if (first_error_.empty()) first_error_ = "connack:refused";
        failed_ = true;
        io_.stop();
        return;
      }
      ++done_;
      if (!idle_) {
        c->send(mqtt::encode(mqtt::Disconnect{}));
        c->close_after_flush();
      }
      if (done_ == o_.conns) return all_done();
      open_next();
    };
    c->connect(ep_);
  }

  void all_done() {
    end_ = Clock::now();
    cpu_after_ = broker_cpu_us(o_.pid);
    steal_after_ = machine_steal_ms();
    if (!idle_) {
      finished_ = true;
      // Let the last DISCONNECTs leave before the loop stops.
      hold_.expires_after(std::chrono::milliseconds(50));
      hold_.async_wait([this](const boost::system::error_code&) { io_.stop(); });
      return;
    }
    // Give the broker a moment to settle, measure, hold, measure again.
    hold_.expires_after(secs(std::min(1.0, o_.hold)));
    hold_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      rss_settled_ = rss_kb(o_.pid);
      hold_.expires_after(secs(std::max(0.0, o_.hold - 1.0)));
      hold_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        rss_held_ = rss_kb(o_.pid);
        alive_ = 0;
        for (auto& c : conns_) alive_ += c->closed() ? 0 : 1;
        finished_ = true;
        io_.stop();
      });
    });
  }

  bool ok() const { return finished_ && !timed_out_ && errors_ == 0 && done_ == o_.conns; }

  void report() {
    const double secs = std::chrono::duration<double>(end_ - start_).count();
    Line l;
    l.kv("scenario", o_.scenario).kv("label", o_.label.empty() ? "-" : o_.label);
    l.kv("conns", o_.conns).kv("concurrency", o_.concurrency).kv("connected", done_);
    l.kv("elapsed_s", fixed(secs, 3));
    l.kv("conns_per_s", fixed(secs > 0 ? done_ / secs : 0, 0));
    const int64_t cpu = cpu_before_ >= 0 && cpu_after_ >= 0 ? cpu_after_ - cpu_before_ : -1;
    l.kv("broker_cpu_us", cpu);
    l.kv("cpu_us_per_conn", cpu >= 0 && done_ ? fixed(double(cpu) / done_, 2) : "-");
    report_steal(l, steal_before_, steal_after_, secs);
    if (idle_) {
      l.kv("alive", alive_).kv("rss_before_kb", rss_before_).kv("rss_held_kb", rss_held_);
      l.kv("rss_settled_kb", rss_settled_);
      const bool have = rss_before_ >= 0 && rss_held_ >= 0 && done_ > 0;
      l.kv("rss_per_conn_bytes",
           have ? fixed(double(rss_held_ - rss_before_) * 1024 / done_, 0) : "-");
    }
    l.kv("timeout", timed_out_ ? 1 : 0).kv("errors", errors_).error(first_error_);
    l.kv("ok", ok() ? 1 : 0).print();
  }

  const Options& o_;
  asio::io_context io_;
  asio::steady_timer timer_, hold_;
  asio::ip::tcp::endpoint ep_;
  std::string tag_;
  bool idle_ = false;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::size_t opened_ = 0, done_ = 0, alive_ = 0, errors_ = 0;
  std::string first_error_;
  bool finished_ = false, timed_out_ = false, failed_ = false;
  Clock::time_point start_, end_;
  int64_t rss_before_ = -1, rss_settled_ = -1, rss_held_ = -1;
  int64_t cpu_before_ = -1, cpu_after_ = -1;
  int64_t steal_before_ = -1, steal_after_ = -1;
};

}  // namespace
}  // namespace trellis::bench

int main(int argc, char** argv) {
  using namespace trellis::bench;
  const Options o = parse_options(argc, argv);
  if (o.scenario == "fanin" || o.scenario == "fanout") return MessageRun(o, false).run();
  if (o.scenario == "latency") return MessageRun(o, true).run();
  if (o.scenario == "idle" || o.scenario == "connrate") return ConnectionRun(o).run();
  usage("unknown or missing --scenario");
}
