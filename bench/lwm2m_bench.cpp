// lwm2m_bench: many simulated LwM2M clients against one Trellis server, for the
// benchmark suite. Loopback only, one thread: every simulated client is a
// libcoap client session (its own UDP socket) in one coap_context, whose epoll
// descriptor is driven (coap_io_process) from the same Asio loop that carries
// the MQTT connection (or the HTTP connections) through which the bench asks
// the server for Reads, as an application would. Every phase is bounded in
// time (--timeout) and in count; the run prints one key=value line.
//
//   lwm2m_bench --coap-port=N --mqtt-port=N [--http-port=N] [--via=mqtt|rest]
//               [--clients=N] [--concurrency=N] [--reads=N] [--window=N]
//               [--pid=SERVER_PID] [--timeout=S] [--ct=112|110|11542]
//
// Phases:
//   register    POST /rd?ep=..&lt=..&lwm2m=1.1&b=U with </1/0>,</3/0>, at most
//               --concurrency in flight; rate = registrations / (first POST ..
//               last 2.01 Created).
//   memory      server VmRSS before the first POST and once the server has
//               published every client's register event (its post-register
//               work is done by then).
//   read        --reads Reads of /3/0 through the server's command interface
//               (MQTT JSON command topic lwm2m/{ep}/dn/cmd + lwm2m/+/up/resp, or
//               REST POST /api/v1/devices/{ep}/commands), --window in flight,
//               round-robin over the clients; every answer is checked against
//               the values of the client it names.
//   deregister  DELETE on the location each Register returned.
#include <arpa/inet.h>
#include <coap3/coap.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "bench/clock.hpp"
#include "bench/mqtt_conn.hpp"
#include "bench/open_files.hpp"
#include "bench/options.hpp"
#include "bench/proc_stats.hpp"
#include "bench/raw_mqtt.hpp"
#include "bench/result_line.hpp"

namespace trellis::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using nlohmann::json;
using tcp = asio::ip::tcp;

constexpr uint16_t kFormatTlv = 11542;  // LwM2M 1.1 Core, 7.4 (not in libcoap's list)
constexpr uint16_t kFormatSenmlJson = COAP_MEDIATYPE_APPLICATION_SENML_JSON;
constexpr uint16_t kFormatSenmlCbor = COAP_MEDIATYPE_APPLICATION_SENML_CBOR;

struct Options {
  Args args;  // read by the fields below, each with its --key
  uint16_t coap_port = args.number<uint16_t>("coap-port", 5683);
  uint16_t mqtt_port = args.number<uint16_t>("mqtt-port", 1883);
  uint16_t http_port = args.number<uint16_t>("http-port", 0);
  std::string via = args.text("via", "mqtt");  // how Reads are asked for: mqtt or rest
  std::size_t clients = args.number<std::size_t>("clients", 100);
  // Register / De-register requests in flight.
  std::size_t concurrency = args.number<std::size_t>("concurrency", 32);
  std::size_t reads = args.number<std::size_t>("reads", 10'000);
  std::size_t window = args.number<std::size_t>("window", 64);  // Reads in flight
  int pid = args.number<int>("pid", 0);                 // server pid, for VmRSS and CPU time
  double timeout = args.number<double>("timeout", 60);  // limit of each phase, seconds
  int64_t lifetime = args.number<int64_t>("lifetime", 300);
  // Content format announced on the root link; 0: none.
  uint16_t ct = args.number<uint16_t>("ct", 0);
  std::string prefix = args.text("prefix");  // endpoint names: {prefix}{index}
  std::string topic_prefix = args.text("topic-prefix", "lwm2m");
  std::string host = args.text("host", "127.0.0.1");  // loopback only
};

constexpr Usage usage{
    "lwm2m_bench",
    R"(usage: lwm2m_bench --coap-port=N --mqtt-port=N [--http-port=N] [--via=mqtt|rest]
  [--clients=N] [--concurrency=N] [--reads=N] [--window=N] [--pid=SERVER_PID]
  [--timeout=S] [--lifetime=S] [--ct=112|110|11542] [--prefix=TEXT]
  [--topic-prefix=lwm2m] [--host=127.0.0.1]
)"};

Options parse_options(int argc, char** argv) {
  Options o{Args(argc, argv, usage)};
  o.args.finish();
  if (o.via != "mqtt" && o.via != "rest") usage("--via must be mqtt or rest");
  if (o.via == "rest" && o.http_port == 0) usage("--via=rest needs --http-port");
  if (o.clients == 0 || o.concurrency == 0 || o.window == 0) usage("counts must be positive");
  if (o.ct != 0 && o.ct != kFormatSenmlCbor && o.ct != kFormatSenmlJson && o.ct != kFormatTlv) {
    usage("--ct must be 112, 110 or 11542");
  }
  if (!asio::ip::make_address(o.host).is_loopback()) usage("loopback only: --host must be 127.x");
  // Distinct per run, so a second run against the same server makes new endpoints.
  if (o.prefix.empty()) o.prefix = "lwb" + std::to_string(getpid()) + "-";
  return o;
}

// ------------------------------------------------------------ server probes

// Microseconds, the unit of the result line, from the live threads only: an
// unknown figure shows as "-" rather than in the coarse ticks of /proc/<pid>/stat.
int64_t server_cpu_us(int pid) {
  const int64_t ns = live_threads_cpu_ns(pid);
  return ns < 0 ? -1 : ns / 1000;
}

Clock::time_point deadline_after(double s) {
  return Clock::now() + secs(s);
}

// ------------------------------------------------------------ the Device object of one client

using ResourceValue = std::variant<std::string, int64_t>;

struct Resource {
  uint16_t id;
  ResourceValue value;
};

// /3/0 of client `index`: fixed texts plus values that differ per client, so
// an answer routed to the wrong client shows.
std::vector<Resource> device_object(std::size_t index) {
  return {
      {0, std::string("Trellis Bench Co.")},  {1, std::string("lwm2m_bench")},
      {2, "SN-" + std::to_string(index)},     {3, "1.0." + std::to_string(index % 10)},
      {9, static_cast<int64_t>(index % 101)}, {16, std::string("U")},
  };
}

// --- SenML CBOR (RFC 8428, 6): an array of maps with the integer labels.

void cbor_head(std::string& out, uint8_t major, uint64_t n) {
  const auto put = [&](int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((n >> (8 * i)) & 0xFF);
  };
  if (n < 24) {
    out += static_cast<char>(major << 5 | n);
  } else if (n <= 0xFF) {
    out += static_cast<char>(major << 5 | 24);
    put(1);
  } else if (n <= 0xFFFF) {
    out += static_cast<char>(major << 5 | 25);
    put(2);
  } else if (n <= 0xFFFFFFFFu) {
    out += static_cast<char>(major << 5 | 26);
    put(4);
  } else {
    out += static_cast<char>(major << 5 | 27);
    put(8);
  }
}

void cbor_int(std::string& out, int64_t v) {
  if (v >= 0) return cbor_head(out, 0, static_cast<uint64_t>(v));
  cbor_head(out, 1, static_cast<uint64_t>(-1 - v));
}

void cbor_text(std::string& out, std::string_view s) {
  cbor_head(out, 3, s.size());
  out.append(s);
}

std::string senml_cbor(const std::vector<Resource>& resources) {
  constexpr int64_t kBaseName = -2, kName = 0, kValue = 2, kStringValue = 3;
  std::string out;
  cbor_head(out, 4, resources.size());
  bool first = true;
  for (const auto& r : resources) {
    cbor_head(out, 5, first ? 3 : 2);
    if (first) {
      cbor_int(out, kBaseName);
      cbor_text(out, "/3/0/");
      first = false;
    }
    cbor_int(out, kName);
    cbor_text(out, std::to_string(r.id));
    if (const auto* s = std::get_if<std::string>(&r.value)) {
      cbor_int(out, kStringValue);
      cbor_text(out, *s);
    } else {
      cbor_int(out, kValue);
      cbor_int(out, std::get<int64_t>(r.value));
    }
  }
  return out;
}

// --- SenML JSON (RFC 8428, 5). Our texts need no escaping; json::dump does it anyway.

std::string senml_json(const std::vector<Resource>& resources) {
  json records = json::array();
  for (const auto& r : resources) {
    json rec = {{"n", std::to_string(r.id)}};
    if (records.empty()) rec["bn"] = "/3/0/";
    if (const auto* s = std::get_if<std::string>(&r.value)) {
      rec["vs"] = *s;
    } else {
      rec["v"] = std::get<int64_t>(r.value);
    }
    records.push_back(std::move(rec));
  }
  return records.dump();
}

// --- TLV (LwM2M 1.1 Core, 7.4.3): one "resource with value" entry per resource.

std::string tlv_integer(int64_t v) {
  int bytes = 8;
  if (v >= INT8_MIN && v <= INT8_MAX) {
    bytes = 1;
  } else if (v >= INT16_MIN && v <= INT16_MAX) {
    bytes = 2;
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    bytes = 4;
  }
  std::string out;
  for (int i = bytes - 1; i >= 0; --i)
    out += static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xFF);
  return out;
}

void tlv_resource(std::string& out, uint16_t id, std::string_view value) {
  uint8_t type = 0xC0;  // resource with value
  if (id > 0xFF) type |= 0x20;
  if (value.size() < 8) {
    type |= static_cast<uint8_t>(value.size());
  } else if (value.size() <= 0xFF) {
    type |= 0x08;
  } else {
    type |= 0x10;
  }
  out += static_cast<char>(type);
  if (id > 0xFF) out += static_cast<char>(id >> 8);
  out += static_cast<char>(id & 0xFF);
  if (value.size() >= 8) {
    if (value.size() > 0xFF) out += static_cast<char>(value.size() >> 8);
    out += static_cast<char>(value.size() & 0xFF);
  }
  out.append(value);
}

std::string tlv(const std::vector<Resource>& resources) {
  std::string out;
  for (const auto& r : resources) {
    if (const auto* s = std::get_if<std::string>(&r.value)) {
      tlv_resource(out, r.id, *s);
    } else {
      tlv_resource(out, r.id, tlv_integer(std::get<int64_t>(r.value)));
    }
  }
  return out;
}

// The body of a Read of /3/0 in `format`; nullopt for a format we do not speak (4.06).
std::optional<std::string> encode_device(uint16_t format, std::size_t index) {
  const auto resources = device_object(index);
  switch (format) {
    case kFormatSenmlCbor:
      return senml_cbor(resources);
    case kFormatSenmlJson:
      return senml_json(resources);
    case kFormatTlv:
      return tlv(resources);
    default:
      return std::nullopt;
  }
}

// True when a read answer ({"data": {"code", "content": [{path, value}]}}) carries
// exactly the values of client `index`.
bool answer_matches(const json& answer, std::size_t index) {
  if (!answer.is_object()) return false;
  const auto data = answer.find("data");
  if (data == answer.end() || !data->is_object() || data->value("code", "") != "2.05") return false;
  const auto content = data->find("content");
  if (content == data->end() || !content->is_array()) return false;
  std::unordered_map<std::string, const json*> by_path;
  for (const auto& item : *content) {
    if (item.is_object() && item.contains("path") && item["path"].is_string() &&
        item.contains("value")) {
      by_path[item["path"].get<std::string>()] = &item["value"];
    }
  }
  for (const auto& r : device_object(index)) {
    const auto it = by_path.find("/3/0/" + std::to_string(r.id));
    if (it == by_path.end()) return false;
    const json& got = *it->second;
    if (const auto* s = std::get_if<std::string>(&r.value)) {
      if (!got.is_string() || got.get<std::string>() != *s) return false;
    } else if (!got.is_number_integer() || got.get<int64_t>() != std::get<int64_t>(r.value)) {
      return false;
    }
  }
  return true;
}

// ------------------------------------------------------------ libcoap on the Asio loop

// Drives a coap_context from Asio: its epoll descriptor wakes us (packets and
// libcoap's own retransmission timerfd); an Asio timer set after each batch of
// requests is a second guard for their retransmissions.
class CoapLoop {
 public:
  CoapLoop(asio::io_context& io, coap_context_t* ctx) : ctx_(ctx), fd_(io), timer_(io) {
    fd_.assign(coap_context_get_coap_fd(ctx));
  }
  ~CoapLoop() { stop(); }

  void start() { process(); }

  void stop() {
    if (stopped_) return;
    stopped_ = true;
    boost::system::error_code ec;
    timer_.cancel();
    fd_.cancel(ec);
    fd_.release();  // libcoap owns and closes the descriptor
  }

  // After a batch of requests went out: their retransmission may be the next thing due.
  void kick() {
    if (!stopped_) schedule_timer();
  }

 private:
  // Asio's epoll sees the inner epoll descriptor edge-triggered: drain it
  // until it is quiet, in bounded passes so the MQTT side gets its turn.
  void process() {
    if (stopped_) return;
    const int fd = coap_context_get_coap_fd(ctx_);
    constexpr int kMaxPasses = 64;
    for (int pass = 0; pass < kMaxPasses; ++pass) {
      coap_io_process(ctx_, COAP_IO_NO_WAIT);
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 0) <= 0) break;
      if (pass + 1 == kMaxPasses) {
        asio::post(fd_.get_executor(), [this] { process(); });
        return;
      }
    }
    arm();
  }

  void arm() {
    if (stopped_) return;
    if (!waiting_) {
      waiting_ = true;
      fd_.async_wait(asio::posix::stream_descriptor::wait_read,
                     [this](boost::system::error_code ec) {
                       waiting_ = false;
                       if (!ec) process();
                     });
    }
    // No timer here: coap_io_prepare_epoll walks every session, which at
    // thousands of clients costs more than the packet it follows, and libcoap
    // arms its own timerfd (inside the epoll set) when a CON goes out.
  }

  void schedule_timer() {
    coap_tick_t now;
    coap_ticks(&now);
    const unsigned ms = coap_io_prepare_epoll(ctx_, now);
    if (ms == 0) return;
    timer_.expires_after(std::chrono::milliseconds(ms));
    timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) process();
    });
  }

  coap_context_t* ctx_;
  asio::posix::stream_descriptor fd_;
  asio::steady_timer timer_;
  bool waiting_ = false;
  bool stopped_ = false;
};

// ------------------------------------------------------------ MQTT: the application's connection

// One MQTT connection: subscribes to one filter, publishes QoS 0, hands every
// PUBLISH it receives to on_publish.
class MqttChannel {
 public:
  explicit MqttChannel(asio::io_context& io) : conn_(io, 64 * 1024) {}

  std::function<void(std::string_view topic, std::string_view payload)> on_publish;
  std::function<void(const std::string& why)> on_error;

  bool subscribed() const { return subscribed_; }

  void start(const tcp::endpoint& ep, std::string client_id, std::string filter) {
    conn_.on_connected = [this, client_id, filter] {
      conn_.send(raw_mqtt::connect(client_id));
      // QoS 0: answers lost on the way count as lost.
      conn_.send(raw_mqtt::subscribe(1, filter, 0));
    };
    conn_.on_packet = [this](uint8_t first_byte, std::string_view body) {
      handle(first_byte, body);
    };
    conn_.on_error = [this](const boost::system::error_code& ec, const char* where) {
      fail("mqtt " + std::string(where) + ": " + ec.message());
    };
    conn_.connect(ep);
  }

  void publish(std::string_view topic, std::string_view payload) {
    raw_mqtt::append_publish(conn_.out(), topic, payload, 0, 0);
    conn_.flush();
  }
  void unsubscribe(std::string_view filter) { conn_.send(raw_mqtt::unsubscribe(2, filter)); }

  void close() { conn_.close(); }

 private:
  void fail(const std::string& why) {
    conn_.close();
    if (on_error) on_error(why);
  }

  void handle(uint8_t first_byte, std::string_view body) {
    switch (first_byte >> 4) {
      case 2:  // CONNACK
        if (body.size() < 2 || body[1] != 0) fail("mqtt: connection refused");
        break;
      case 9:  // SUBACK
        if (body.size() < 3 || static_cast<uint8_t>(body[2]) == 0x80) {
          fail("mqtt: subscription refused");
        } else {
          subscribed_ = true;
        }
        break;
      case 3: {
        const auto publish = raw_mqtt::parse_publish(first_byte, body);
        if (!publish) return fail("mqtt: short PUBLISH");
        if (on_publish) on_publish(publish->topic, publish->payload);
        break;
      }
      default:
        break;  // UNSUBACK, PINGRESP
    }
  }

  Conn conn_;
  bool subscribed_ = false;
};

// ------------------------------------------------------------ REST: keep-alive connections

// --window HTTP/1.1 connections, one request at a time each (the server's rule),
// POST /api/v1/devices/{ep}/commands; the 200 answer is the up/resp JSON.
class RestChannel {
 public:
  RestChannel(asio::io_context& io, tcp::endpoint ep, int wait_s)
      : io_(io), ep_(ep), wait_s_(wait_s) {}

  std::function<void(uint64_t ticket, const json& answer)> on_answer;
  std::function<void(const std::string& why)> on_error;

  std::size_t connected() const { return connected_; }

  void connect(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      conns_.push_back(std::make_unique<Conn>(io_));
      Conn* c = conns_.back().get();
      c->stream.async_connect(ep_, [this, c](boost::system::error_code ec) {
        if (ec) return fail("http connect: " + ec.message());
        c->stream.socket().set_option(tcp::no_delay(true));
        ++connected_;
        idle_.push_back(c);
      });
    }
  }

  // The caller keeps at most as many requests in flight as there are connections.
  void send_read(uint64_t ticket, const std::string& endpoint) {
    if (idle_.empty()) return fail("rest: no idle connection");
    Conn* c = idle_.back();
    idle_.pop_back();
    c->ticket = ticket;
    c->req = {};
    c->req.method(http::verb::post);
    c->req.target("/api/v1/devices/" + endpoint + "/commands?timeout=" + std::to_string(wait_s_));
    c->req.version(11);
    c->req.set(http::field::host, "127.0.0.1");
    c->req.set(http::field::content_type, "application/json");
    c->req.keep_alive(true);
    c->req.body() = R"({"msgType":"read","data":{"path":"/3/0"}})";
    c->req.prepare_payload();
    http::async_write(c->stream, c->req, [this, c](boost::system::error_code ec, std::size_t) {
      if (ec) return fail("http write: " + ec.message());
      c->res = {};
      http::async_read(
          c->stream, c->buf, c->res, [this, c](boost::system::error_code ec, std::size_t) {
            if (ec) return fail("http read: " + ec.message());
            const uint64_t ticket = c->ticket;
            json answer = c->res.result_int() == 200 ? json::parse(c->res.body(), nullptr, false)
                                                     : json{{"http_status", c->res.result_int()}};
            idle_.push_back(c);
            if (on_answer) on_answer(ticket, answer);
          });
    });
  }

  void close() {
    for (auto& c : conns_) {
      boost::system::error_code ec;
      c->stream.socket().close(ec);
    }
  }

 private:
  struct Conn {
    explicit Conn(asio::io_context& io) : stream(io) {}
    beast::tcp_stream stream;
    beast::flat_buffer buf;
    http::request<http::string_body> req;
    http::response<http::string_body> res;
    uint64_t ticket = 0;
  };

  void fail(const std::string& why) {
    if (on_error) on_error(why);
  }

  asio::io_context& io_;
  tcp::endpoint ep_;
  int wait_s_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<Conn*> idle_;
  std::size_t connected_ = 0;
};

// ------------------------------------------------------------ the simulated clients

enum class ClientState { idle, registering, registered, failed, deregistering, deregistered };

struct SimClient {
  std::size_t index = 0;
  std::string endpoint;
  coap_session_t* session = nullptr;
  std::string location;  // "rd/123": where the Register's Location-Path points
  ClientState state = ClientState::idle;
};

struct Percentiles {
  double p50 = 0, p99 = 0;
};

Percentiles percentiles_ms(std::vector<double> v) {
  if (v.empty()) return {};
  std::sort(v.begin(), v.end());
  const auto at = [&](double q) { return v[static_cast<std::size_t>(q * double(v.size() - 1))]; };
  return {at(0.50), at(0.99)};
}

class Bench {
 public:
  explicit Bench(const Options& o) : o_(o) {}

  ~Bench() {
    if (loop_) loop_->stop();
    for (auto& c : clients_) {
      if (c.session) coap_session_release(c.session);
    }
    if (ctx_) coap_free_context(ctx_);
  }

  int run() {
    raise_open_file_limit();
    if (!open_clients()) return report();
    if (!connect_mqtt()) return report();
    register_all();
    wait_for_register_events();
    read_phase();
    deregister_all();
    return report();
  }

 private:
  // ---------------------------------------------------------- set-up

  bool open_clients() {
    // One UDP socket per client, plus the MQTT / HTTP sockets and libcoap's own.
    const std::size_t need = o_.clients + o_.window + 64;
    if (open_file_limit() < need) {
      return fail("open-file limit " + std::to_string(open_file_limit()) + " < " +
                  std::to_string(need));
    }
    coap_startup();
    // Warnings come once per client (thousands); our line names the first failure.
    coap_set_log_level(LOG_ERR);
    ctx_ = coap_new_context(nullptr);
    if (!ctx_) return fail("libcoap: no context");
    // One /3/0 for every client session: its handler finds the client by session.
    coap_resource_t* device = coap_resource_init(coap_make_str_const("3/0"), 0);
    coap_register_handler(device, COAP_REQUEST_GET, on_read_device);
    coap_add_resource(ctx_, device);
    coap_set_app_data(ctx_, this);
    coap_register_response_handler(ctx_, on_coap_response);
    coap_register_nack_handler(ctx_, on_coap_nack);

    coap_address_t server;
    coap_address_init(&server);
    server.addr.sin.sin_family = AF_INET;
    server.addr.sin.sin_port = htons(o_.coap_port);
    inet_pton(AF_INET, o_.host.c_str(), &server.addr.sin.sin_addr);
    server.size = sizeof(server.addr.sin);
    clients_.resize(o_.clients);
    for (std::size_t i = 0; i < o_.clients; ++i) {
      SimClient& c = clients_[i];
      c.index = i;
      c.endpoint = o_.prefix + std::to_string(i);
      c.session = coap_new_client_session(ctx_, nullptr, &server, COAP_PROTO_UDP);
      if (!c.session) return fail("libcoap: no client session for #" + std::to_string(i));
      coap_session_set_app_data(c.session, &c);
    }
    loop_ = std::make_unique<CoapLoop>(io_, ctx_);
    loop_->start();
    return true;
  }

  bool connect_mqtt() {
    mqtt_.on_error = [this](const std::string& why) { fail(why); };
    mqtt_.on_publish = [this](std::string_view topic, std::string_view payload) {
      on_mqtt_message(topic, payload);
    };
    const tcp::endpoint ep(asio::ip::make_address(o_.host), o_.mqtt_port);
    mqtt_.start(ep, o_.prefix + "app", answers_filter());
    if (!run_until([this] { return mqtt_.subscribed() || failed_; }, deadline_after(o_.timeout))) {
      return fail("mqtt: no SUBACK in time");
    }
    return !failed_;
  }

  std::string answers_filter() const { return o_.topic_prefix + "/+/up/resp"; }

  // ---------------------------------------------------------- register

  void register_all() {
    if (failed_) return;
    rss_before_kb_ = rss_kb(o_.pid);
    cpu_before_register_ = server_cpu_us(o_.pid);
    reg_start_ = Clock::now();
    fill_register_window();
    run_until([this] { return reg_answered_ == clients_.size() || failed_; },
              deadline_after(o_.timeout));
    cpu_after_register_ = server_cpu_us(o_.pid);
  }

  void fill_register_window() {
    bool sent = false;
    while (reg_in_flight_ < o_.concurrency && next_to_register_ < clients_.size()) {
      SimClient& c = clients_[next_to_register_++];
      if (send_register(c)) {
        c.state = ClientState::registering;
        ++reg_in_flight_;
        sent = true;
      } else {
        c.state = ClientState::failed;
        ++reg_failed_;
        ++reg_answered_;
      }
    }
    if (sent) loop_->kick();
  }

  bool send_register(SimClient& c) {
    coap_pdu_t* pdu = new_request(c, COAP_REQUEST_CODE_POST);
    if (!pdu) return false;
    add_text_option(pdu, COAP_OPTION_URI_PATH, "rd");
    add_uint_option(pdu, COAP_OPTION_CONTENT_FORMAT, COAP_MEDIATYPE_APPLICATION_LINK_FORMAT);
    for (const std::string& q : {"ep=" + c.endpoint, "lt=" + std::to_string(o_.lifetime),
                                 std::string("lwm2m=1.1"), std::string("b=U")}) {
      add_text_option(pdu, COAP_OPTION_URI_QUERY, q);
    }
    std::string links = "</1/0>,</3/0>";
    if (o_.ct != 0) links = "</>;rt=\"oma.lwm2m\";ct=" + std::to_string(o_.ct) + "," + links;
    coap_add_data(pdu, links.size(), reinterpret_cast<const uint8_t*>(links.data()));
    return coap_send(c.session, pdu) != COAP_INVALID_MID;
  }

  void on_register_answer(SimClient& c, coap_pdu_code_t code, const coap_pdu_t* rsp) {
    --reg_in_flight_;
    ++reg_answered_;
    if (code == COAP_RESPONSE_CODE_CREATED) {
      c.location = location_of(rsp);
      c.state = ClientState::registered;
      registered_.push_back(c.index);
      reg_last_ = Clock::now();
    } else {
      c.state = ClientState::failed;
      ++reg_failed_;
      note_error("register answered " + code_text(code));
    }
    fill_register_window();
  }

  // ---------------------------------------------------------- memory

  void on_mqtt_message(std::string_view topic, std::string_view payload) {
    const json j = json::parse(payload, nullptr, false);
    if (!j.is_object()) return;
    if (j.value("msgType", "") == "register") {
      const std::string ep = endpoint_of(topic);
      if (ep.rfind(o_.prefix, 0) == 0) ++register_events_;
      return;
    }
    // In REST mode the server numbers the commands itself; those echoes are not ours.
    if (o_.via != "mqtt") return;
    const auto id = j.find("reqID");
    if (id != j.end() && id->is_number_unsigned()) on_read_answer(id->get<uint64_t>(), j);
  }

  std::string endpoint_of(std::string_view topic) const {
    const std::size_t head = o_.topic_prefix.size() + 1;
    if (topic.size() <= head) return {};
    const auto end = topic.find('/', head);
    return std::string(topic.substr(head, end == std::string_view::npos ? end : end - head));
  }

  // The register event is published after the server's post-register work
  // (presence in the database): once all are in, the memory is what it keeps.
  void wait_for_register_events() {
    if (failed_) return;
    run_until([this] { return register_events_ >= registered_.size() || failed_; },
              deadline_after(o_.timeout));
    rss_after_kb_ = rss_kb(o_.pid);
  }

  // ---------------------------------------------------------- read

  void read_phase() {
    if (failed_ || registered_.empty() || o_.reads == 0) return;
    if (o_.via == "rest") {
      // Our subscription would only carry copies of the REST answers from here on.
      mqtt_.unsubscribe(answers_filter());
      rest_ = std::make_unique<RestChannel>(
          io_, tcp::endpoint(asio::ip::make_address(o_.host), o_.http_port),
          static_cast<int>(std::max(1.0, std::min(300.0, o_.timeout))));
      rest_->on_error = [this](const std::string& why) { fail(why); };
      rest_->on_answer = [this](uint64_t ticket, const json& answer) {
        on_read_answer(ticket, answer);
      };
      rest_->connect(o_.window);
      if (!run_until([this] { return rest_->connected() == o_.window || failed_; },
                     deadline_after(o_.timeout))) {
        fail("http: connections not up in time");
        return;
      }
    }
    latencies_ms_.reserve(o_.reads);
    cpu_before_reads_ = server_cpu_us(o_.pid);
    own_cpu_before_reads_ = own_cpu_us();
    read_start_ = read_last_ = Clock::now();
    issue_reads();
    run_until([this] { return reads_answered_ == o_.reads || failed_; },
              deadline_after(o_.timeout));
    cpu_after_reads_ = server_cpu_us(o_.pid);
    own_cpu_after_reads_ = own_cpu_us();
  }

  void issue_reads() {
    while (in_flight_.size() < o_.window && reads_issued_ < o_.reads) {
      const uint64_t id = ++next_req_id_;
      const std::size_t client = registered_[reads_issued_ % registered_.size()];
      ++reads_issued_;
      in_flight_[id] = InFlight{client, Clock::now()};
      const std::string& ep = clients_[client].endpoint;
      if (rest_) {
        rest_->send_read(id, ep);
      } else {
        mqtt_.publish(
            o_.topic_prefix + "/" + ep + "/dn/cmd",
            R"({"reqID":)" + std::to_string(id) + R"(,"msgType":"read","data":{"path":"/3/0"}})");
      }
    }
  }

  void on_read_answer(uint64_t id, const json& answer) {
    const auto it = in_flight_.find(id);
    if (it == in_flight_.end()) return;  // not ours, or answered already
    const auto now = Clock::now();
    latencies_ms_.push_back(
        std::chrono::duration<double, std::milli>(now - it->second.sent).count());
    if (!answer_matches(answer, it->second.client)) {
      ++reads_wrong_;
      if (first_wrong_.empty()) first_wrong_ = answer.dump().substr(0, 200);
    }
    in_flight_.erase(it);
    ++reads_answered_;
    read_last_ = now;
    issue_reads();
  }

  // Called from libcoap when the server reads /3/0 of one of our clients.
  static void on_read_device(coap_resource_t*, coap_session_t* session, const coap_pdu_t* request,
                             const coap_string_t*, coap_pdu_t* response) {
    auto* client = static_cast<SimClient*>(coap_session_get_app_data(session));
    auto* self = static_cast<Bench*>(coap_get_app_data(coap_session_get_context(session)));
    if (!client) {
      coap_pdu_set_code(response, COAP_RESPONSE_CODE_NOT_FOUND);
      return;
    }
    // Without Accept the client picks: TLV, the one every LwM2M server takes.
    const uint16_t format = uint_option(request, COAP_OPTION_ACCEPT).value_or(kFormatTlv);
    const auto body = encode_device(format, client->index);
    if (!body) {
      ++self->reads_not_acceptable_;
      coap_pdu_set_code(response, COAP_RESPONSE_CODE_NOT_ACCEPTABLE);
      return;
    }
    ++self->reads_served_;
    self->formats_served_ = format;
    coap_pdu_set_code(response, COAP_RESPONSE_CODE_CONTENT);
    add_uint_option(response, COAP_OPTION_CONTENT_FORMAT, format);
    coap_add_data(response, body->size(), reinterpret_cast<const uint8_t*>(body->data()));
  }

  // ---------------------------------------------------------- deregister

  void deregister_all() {
    if (!ctx_) return;
    for (std::size_t i : registered_) to_deregister_.push_back(i);
    dereg_start_ = Clock::now();
    fill_deregister_window();
    run_until([this] { return dereg_answered_ == to_deregister_.size(); },
              deadline_after(o_.timeout));
  }

  void fill_deregister_window() {
    bool sent = false;
    while (dereg_in_flight_ < o_.concurrency && next_to_deregister_ < to_deregister_.size()) {
      SimClient& c = clients_[to_deregister_[next_to_deregister_++]];
      if (send_deregister(c)) {
        c.state = ClientState::deregistering;
        ++dereg_in_flight_;
        sent = true;
      } else {
        ++dereg_answered_;
      }
    }
    if (sent) loop_->kick();
  }

  bool send_deregister(SimClient& c) {
    coap_pdu_t* pdu = new_request(c, COAP_REQUEST_CODE_DELETE);
    if (!pdu) return false;
    std::string_view rest = c.location;
    while (!rest.empty()) {
      const auto slash = rest.find('/');
      add_text_option(pdu, COAP_OPTION_URI_PATH, rest.substr(0, slash));
      if (slash == std::string_view::npos) break;
      rest.remove_prefix(slash + 1);
    }
    return coap_send(c.session, pdu) != COAP_INVALID_MID;
  }

  void on_deregister_answer(SimClient& c, coap_pdu_code_t code) {
    --dereg_in_flight_;
    ++dereg_answered_;
    if (code == COAP_RESPONSE_CODE_DELETED) {
      c.state = ClientState::deregistered;
      ++deregistered_;
      dereg_last_ = Clock::now();
    } else {
      note_error("de-register answered " + code_text(code));
    }
    fill_deregister_window();
  }

  // ---------------------------------------------------------- libcoap callbacks

  static coap_response_t on_coap_response(coap_session_t* session, const coap_pdu_t*,
                                          const coap_pdu_t* received, const coap_mid_t) {
    const coap_pdu_code_t code = coap_pdu_get_code(received);
    if (code == COAP_EMPTY_CODE) return COAP_RESPONSE_OK;  // a separate answer follows
    auto* c = static_cast<SimClient*>(coap_session_get_app_data(session));
    auto* self = static_cast<Bench*>(coap_get_app_data(coap_session_get_context(session)));
    if (!c) return COAP_RESPONSE_OK;
    if (c->state == ClientState::registering) {
      self->on_register_answer(*c, code, received);
    } else if (c->state == ClientState::deregistering) {
      self->on_deregister_answer(*c, code);
    }
    return COAP_RESPONSE_OK;
  }

  // Our Register / De-register got no answer after every retransmission.
  static void on_coap_nack(coap_session_t* session, const coap_pdu_t*,
                           const coap_nack_reason_t reason, const coap_mid_t) {
    auto* c = static_cast<SimClient*>(coap_session_get_app_data(session));
    auto* self = static_cast<Bench*>(coap_get_app_data(coap_session_get_context(session)));
    if (!c) return;
    self->note_error("coap nack reason " + std::to_string(static_cast<int>(reason)));
    if (c->state == ClientState::registering) {
      --self->reg_in_flight_;
      ++self->reg_answered_;
      ++self->reg_failed_;
      c->state = ClientState::failed;
      self->fill_register_window();
    } else if (c->state == ClientState::deregistering) {
      --self->dereg_in_flight_;
      ++self->dereg_answered_;
      c->state = ClientState::failed;
      self->fill_deregister_window();
    }
  }

  // ---------------------------------------------------------- CoAP helpers

  static coap_pdu_t* new_request(SimClient& c, coap_pdu_code_t code) {
    coap_pdu_t* pdu = coap_pdu_init(COAP_MESSAGE_CON, code, coap_new_message_id(c.session),
                                    coap_session_max_pdu_size(c.session));
    if (!pdu) return nullptr;
    uint8_t token[8];
    size_t len = 0;
    coap_session_new_token(c.session, &len, token);
    coap_add_token(pdu, len, token);
    return pdu;
  }

  static void add_text_option(coap_pdu_t* pdu, uint16_t number, std::string_view v) {
    coap_add_option(pdu, number, v.size(), reinterpret_cast<const uint8_t*>(v.data()));
  }

  static void add_uint_option(coap_pdu_t* pdu, uint16_t number, uint32_t v) {
    uint8_t buf[4];
    const unsigned len = coap_encode_var_safe(buf, sizeof buf, v);
    coap_add_option(pdu, number, len, buf);
  }

  static std::optional<uint16_t> uint_option(const coap_pdu_t* pdu, uint16_t number) {
    coap_opt_iterator_t it;
    const coap_opt_t* opt = coap_check_option(pdu, number, &it);
    if (!opt) return std::nullopt;
    return static_cast<uint16_t>(coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt)));
  }

  // "rd/123" from the Location-Path options.
  static std::string location_of(const coap_pdu_t* pdu) {
    std::string out;
    coap_opt_filter_t filter;
    coap_option_filter_clear(&filter);
    coap_option_filter_set(&filter, COAP_OPTION_LOCATION_PATH);
    coap_opt_iterator_t it;
    coap_option_iterator_init(pdu, &it, &filter);
    while (const coap_opt_t* opt = coap_option_next(&it)) {
      if (!out.empty()) out += '/';
      out.append(reinterpret_cast<const char*>(coap_opt_value(opt)), coap_opt_length(opt));
    }
    return out;
  }

  static std::string code_text(coap_pdu_code_t code) {
    const unsigned c = static_cast<unsigned>(code);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%u.%02u", c >> 5, c & 31);
    return buf;
  }

  // ---------------------------------------------------------- loop and report

  // Runs the loop until `done` or the deadline; false at the deadline.
  template <typename Pred>
  bool run_until(Pred done, Clock::time_point deadline) {
    while (!done()) {
      if (Clock::now() >= deadline) return false;
      if (io_.run_one_until(deadline) == 0 && io_.stopped()) {
        io_.restart();
        if (Clock::now() < deadline && !done()) return false;  // nothing left that could finish it
      }
    }
    return true;
  }

  bool fail(const std::string& why) {
    note_error(why);
    failed_ = true;
    return false;
  }

  void note_error(const std::string& why) {
    ++errors_;
    if (first_error_.empty()) first_error_ = why;
  }

  int report() {
    if (rest_) rest_->close();
    mqtt_.close();
    const std::size_t registered = registered_.size();
    const double reg_s = registered ? seconds_between(reg_start_, reg_last_) : 0;
    const double read_s = reads_answered_ ? seconds_between(read_start_, read_last_) : 0;
    const double dereg_s = deregistered_ ? seconds_between(dereg_start_, dereg_last_) : 0;
    const auto pct = percentiles_ms(latencies_ms_);
    const std::size_t lost =
        o_.reads > reads_answered_ && registered ? o_.reads - reads_answered_ : 0;
    const bool have_rss = rss_before_kb_ >= 0 && rss_after_kb_ >= 0 && registered > 0;
    const auto per = [](int64_t before, int64_t after, std::size_t n) -> std::string {
      if (before < 0 || after < 0 || n == 0) return "-";
      return fixed(double(after - before) / double(n), 1);
    };
    const bool ok = !failed_ && registered == o_.clients && register_events_ >= registered &&
                    lost == 0 && reads_wrong_ == 0 && deregistered_ == registered;

    Line l;
    l.kv("clients", o_.clients);
    l.kv("registrations_per_s", reg_s > 0 ? fixed(registered / reg_s, 0) : "-");
    l.kv("rss_per_client_bytes",
         have_rss ? fixed(double(rss_after_kb_ - rss_before_kb_) * 1024 / registered, 0) : "-");
    l.kv("reads", reads_answered_);
    l.kv("reads_per_s", read_s > 0 ? fixed(reads_answered_ / read_s, 0) : "-");
    l.kv("read_p50_ms", fixed(pct.p50, 2)).kv("read_p99_ms", fixed(pct.p99, 2));
    l.kv("lost", lost).kv("wrong", reads_wrong_);
    // Details: how the figures were made and what the server spent on them.
    l.kv("via", o_.via).kv("window", o_.window).kv("concurrency", o_.concurrency);
    l.kv("format", formats_served_).kv("registered", registered).kv("reg_failed", reg_failed_);
    l.kv("register_events", register_events_);
    l.kv("rss_before_kb", rss_before_kb_).kv("rss_after_kb", rss_after_kb_);
    l.kv("server_cpu_us_per_registration",
         per(cpu_before_register_, cpu_after_register_, registered));
    l.kv("server_cpu_us_per_read", per(cpu_before_reads_, cpu_after_reads_, reads_answered_));
    l.kv("bench_cpu_us_per_read",
         per(own_cpu_before_reads_, own_cpu_after_reads_, reads_answered_));
    l.kv("reads_served", reads_served_).kv("not_acceptable", reads_not_acceptable_);
    l.kv("deregistered", deregistered_);
    l.kv("deregistrations_per_s", dereg_s > 0 ? fixed(deregistered_ / dereg_s, 0) : "-");
    l.kv("errors", errors_).error(first_error_);
    if (!first_wrong_.empty()) l.kv("first_wrong", "'" + first_wrong_ + "'");
    l.kv("ok", ok ? 1 : 0).print();
    return ok ? 0 : 1;
  }

  struct InFlight {
    std::size_t client;
    Clock::time_point sent;
  };

  const Options& o_;
  asio::io_context io_;
  coap_context_t* ctx_ = nullptr;
  std::unique_ptr<CoapLoop> loop_;
  MqttChannel mqtt_{io_};
  std::unique_ptr<RestChannel> rest_;
  std::vector<SimClient> clients_;

  std::size_t next_to_register_ = 0, reg_in_flight_ = 0, reg_answered_ = 0, reg_failed_ = 0;
  std::vector<std::size_t> registered_;  // indexes, in the order they were accepted
  std::size_t register_events_ = 0;
  Clock::time_point reg_start_, reg_last_;

  std::unordered_map<uint64_t, InFlight> in_flight_;
  uint64_t next_req_id_ = 0;
  std::size_t reads_issued_ = 0, reads_answered_ = 0, reads_wrong_ = 0;
  std::size_t reads_served_ = 0, reads_not_acceptable_ = 0;
  uint16_t formats_served_ = 0;
  std::vector<double> latencies_ms_;
  std::string first_wrong_;
  Clock::time_point read_start_, read_last_;

  std::vector<std::size_t> to_deregister_;
  std::size_t next_to_deregister_ = 0, dereg_in_flight_ = 0, dereg_answered_ = 0, deregistered_ = 0;
  Clock::time_point dereg_start_, dereg_last_;

  int64_t rss_before_kb_ = -1, rss_after_kb_ = -1;
  int64_t cpu_before_register_ = -1, cpu_after_register_ = -1;
  int64_t cpu_before_reads_ = -1, cpu_after_reads_ = -1;
  int64_t own_cpu_before_reads_ = -1, own_cpu_after_reads_ = -1;
  std::size_t errors_ = 0;
  std::string first_error_;
  bool failed_ = false;
};

}  // namespace
}  // namespace trellis::bench

int main(int argc, char** argv) {
  const auto o = trellis::bench::parse_options(argc, argv);
  int rc = 0;
  {
    trellis::bench::Bench bench(o);
    rc = bench.run();
  }
  coap_cleanup();
  return rc;
}
