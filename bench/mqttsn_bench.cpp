// mqttsn_bench: MQTT-SN 1.2 publish benchmark for the Trellis gateway.
//
// N MQTT-SN clients, one UDP socket each, CONNECT, REGISTER a topic each and
// publish M messages in total at QoS 0 or 1. One MQTT 3.1.1 subscriber on the
// broker's TCP port counts what arrives and checks order per publisher.
// Prints one key=value line. Loopback only, one thread, bounded in message
// count and wall-clock time.
//
// An independent client on purpose: it links no project library and encodes
// its packets from the MQTT-SN 1.2 and MQTT 3.1.1 specifications, so it
// measures the gateway without sharing its codec's mistakes.
//
//   mqttsn_bench --port=SN_PORT --mqtt-port=TCP_PORT [--qos=0|1] [--clients=N]
//                [--count=M] [options]; --help lists them.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
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
using udp = asio::ip::udp;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;

struct Options {
  Args args;  // read by the fields below, each with its --key
  uint16_t port = args.number<uint16_t>("port", 1884);  // the MQTT-SN gateway (UDP)
  // The broker (TCP), for the verifying subscriber.
  uint16_t mqtt_port = args.number<uint16_t>("mqtt-port", 1883);
  int qos = args.number<int>("qos", 0);
  std::size_t clients = args.number<std::size_t>("clients", 10);
  // Messages published, all clients together.
  uint64_t count = args.number<uint64_t>("count", 100'000);
  std::size_t size = args.number<std::size_t>("size", 32);  // payload bytes
  // Messages sent but not yet seen by the subscriber, all clients together.
  // UDP has no flow control: without this bound a fast client only measures
  // how quickly the gateway's receive buffer overflows (about 200 small
  // datagrams at Linux's default 208 KiB, which the gateway keeps).
  std::size_t window = args.number<std::size_t>("window", 128);
  // QoS 1: PUBLISHes awaiting PUBACK per client. MQTT-SN 1.2 (6.10) allows
  // one; more is a stress mode the gateway happens to accept.
  std::size_t pub_window = args.number<std::size_t>("pub-window", 1);
  // Seconds before CONNECT, REGISTER or a QoS 1 PUBLISH is sent again.
  double retry = args.number<double>("retry", 1.0);
  unsigned max_retries = args.number<unsigned>("max-retries", 5);
  // Seconds without a delivery after which a client's unseen messages stop
  // holding its window (they were lost; the final count says how many).
  double stall = args.number<double>("stall", 0.5);
  // Seconds to wait for stragglers once everything is sent.
  double drain = args.number<double>("drain", 2.0);
  // Handshakes under way at once.
  std::size_t connect_concurrency = args.number<std::size_t>("connect-concurrency", 32);
  double timeout = args.number<double>("timeout", 60);  // hard wall-clock limit of the whole run
  int pid = args.number<int>("pid", 0);                 // broker pid, for its CPU time
  std::string label = args.text("label");
  // Names this run's client ids and topics. Each new client id costs the
  // gateway a device registration: reuse a tag to measure known ids.
  std::string tag = args.text("tag");
  std::string host = args.text("host", "127.0.0.1");  // loopback only
};

constexpr Usage usage{.program = "mqttsn_bench",
                      .text = R"(usage: mqttsn_bench --port=SN_UDP_PORT --mqtt-port=MQTT_TCP_PORT
  [--qos=0|1] [--clients=N] [--count=M] [--size=BYTES] [--window=N]
  [--pub-window=N] [--retry=S] [--max-retries=N] [--stall=S] [--drain=S]
  [--connect-concurrency=N] [--timeout=S] [--pid=BROKER_PID] [--label=TEXT]
  [--tag=TEXT] [--host=127.0.0.1]
)",
                      .answers_help = true};

Options parse_options(int argc, char** argv) {
  Options o{Args(argc, argv, usage)};
  o.args.finish();
  if (o.qos < 0 || o.qos > 1) usage("--qos must be 0 or 1");
  if (o.clients < 1 || o.clients > 60'000) usage("--clients must be 1..60000");
  if (o.count < o.clients) usage("--count must be at least --clients");
  if (o.size < 12 || o.size > 1024) usage("--size must be 12..1024 (index and sequence fit)");
  if (o.window < 1 || o.pub_window < 1 || o.connect_concurrency < 1) usage("windows must be >= 1");
  if (o.pub_window > 1000) usage("--pub-window must be at most 1000");
  if (o.tag.empty()) o.tag = "r" + std::to_string(getpid());
  // Client ids of 1-23 characters (5.3.1 of MQTT-SN 1.2): "snb" TAG "-" index.
  if (o.tag.size() > 10 || o.tag.find_first_of("/+#") != std::string::npos) {
    usage("--tag must be one topic level of at most 10 characters");
  }
  if (o.retry <= 0 || o.timeout <= 0) usage("--retry and --timeout must be positive");
  ErrorCode ec;
  auto addr = asio::ip::make_address(o.host, ec);
  if (ec || !addr.is_v4() || !addr.is_loopback()) usage("loopback only: --host must be 127.x.x.x");
  return o;
}

// ------------------------------------------------------------ probes

double process_cpu_s(int pid) {
  const int64_t ns = cpu_ns(pid);
  return ns < 0 ? -1 : static_cast<double>(ns) / 1e9;
}

double own_cpu_s() {
  return static_cast<double>(own_cpu_us()) / 1e6;
}

// Datagrams the kernel dropped for a full receive buffer, summed over the
// IPv4 UDP sockets bound to any of `ports` (/proc/net/udp, last column). This
// tells where a QoS 0 loss happened: at the gateway's socket or at ours.
uint64_t udp_drops(const std::vector<uint16_t>& ports) {
  std::ifstream f("/proc/net/udp");
  std::string line;
  std::getline(f, line);  // header
  uint64_t drops = 0;
  for (int lines = 0; lines < 1'000'000 && std::getline(f, line); ++lines) {
    std::istringstream in(line);
    std::string slot, local, last, field;
    in >> slot >> local;
    while (in >> field) last = field;
    auto colon = local.find(':');
    if (colon == std::string::npos || last.empty()) continue;
    auto port = static_cast<uint16_t>(std::stoul(local.substr(colon + 1), nullptr, 16));
    if (std::find(ports.begin(), ports.end(), port) != ports.end()) drops += std::stoull(last);
  }
  return drops;
}

// ------------------------------------------------------------ wire helpers

using raw_mqtt::append_u16;
using raw_mqtt::read_u16;

// Payload: publisher index (4 octets), sequence (8 octets), big-endian, then filler.
void write_stamp(char* p, uint32_t index, uint64_t seq) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(index >> (24 - 8 * i));
  for (int i = 0; i < 8; ++i) p[4 + i] = static_cast<char>(seq >> (56 - 8 * i));
}

void read_stamp(const char* p, uint32_t& index, uint64_t& seq) {
  index = 0;
  seq = 0;
  for (int i = 0; i < 4; ++i) index = (index << 8) | static_cast<uint8_t>(p[i]);
  for (int i = 0; i < 8; ++i) seq = (seq << 8) | static_cast<uint8_t>(p[4 + i]);
}

// ------------------------------------------------------------ MQTT-SN 1.2 (section 5)

namespace sn {

constexpr uint8_t connect = 0x04, connack = 0x05, reg = 0x0A, regack = 0x0B, publish = 0x0C,
                  puback = 0x0D, disconnect = 0x18;
constexpr uint8_t flag_dup = 0x80, flag_qos1 = 0x20, flag_clean = 0x04;  // 5.3.4
constexpr uint8_t accepted = 0x00, congestion = 0x01;                    // 5.3.10

// Length (5.2.1): one octet below 256, else 0x01 and two octets; it counts itself.
std::string frame(uint8_t type, std::string_view body) {
  std::string out;
  const std::size_t short_total = body.size() + 2;
  if (short_total < 256) {
    out.push_back(static_cast<char>(short_total));
  } else {
    out.push_back(0x01);
    append_u16(out, static_cast<uint16_t>(body.size() + 4));
  }
  out.push_back(static_cast<char>(type));
  out.append(body);
  return out;
}

// 5.4.4: Flags, ProtocolId 0x01, Duration, ClientId.
std::string connect_packet(const std::string& client_id, uint16_t keepalive) {
  std::string body;
  body.push_back(static_cast<char>(flag_clean));
  body.push_back(0x01);
  append_u16(body, keepalive);
  body.append(client_id);
  return frame(connect, body);
}

// 5.4.10: TopicId 0x0000 from a client, MsgId, TopicName.
std::string register_packet(uint16_t msg_id, const std::string& topic) {
  std::string body;
  append_u16(body, 0);
  append_u16(body, msg_id);
  body.append(topic);
  return frame(reg, body);
}

std::string disconnect_packet() {
  return frame(disconnect, {});
}

// 5.4.12, written into a buffer kept per client so the hot path reuses its
// memory. Flags, TopicId (normal), MsgId, Data; Length as in frame().
void write_publish(std::string& out, bool qos1, bool dup, uint16_t topic_id, uint16_t msg_id,
                   uint32_t index, uint64_t seq, std::size_t size) {
  out.clear();
  const std::size_t short_total = 2 + 5 + size;
  if (short_total < 256) {
    out.push_back(static_cast<char>(short_total));
  } else {
    out.push_back(0x01);
    append_u16(out, static_cast<uint16_t>(short_total + 2));
  }
  out.push_back(static_cast<char>(publish));
  out.push_back(static_cast<char>((dup ? flag_dup : 0) | (qos1 ? flag_qos1 : 0)));
  append_u16(out, topic_id);
  append_u16(out, qos1 ? msg_id : 0);
  const std::size_t at = out.size();
  out.resize(at + size, 'x');
  write_stamp(&out[at], index, seq);
}

// What the gateway sends a publishing client: CONNACK, REGACK, PUBACK, DISCONNECT.
struct Reply {
  uint8_t type = 0;
  uint16_t topic_id = 0;
  uint16_t msg_id = 0;
  uint8_t rc = 0;
};

std::optional<Reply> parse_reply(std::string_view d) {
  std::size_t header = 0;
  std::size_t length = 0;
  if (d.size() >= 4 && static_cast<uint8_t>(d[0]) == 0x01) {
    length = read_u16(d, 1);
    header = 3;
  } else if (d.size() >= 2) {
    length = static_cast<uint8_t>(d[0]);
    header = 1;
  } else {
    return std::nullopt;
  }
  if (length != d.size()) return std::nullopt;
  Reply r;
  r.type = static_cast<uint8_t>(d[header]);
  std::string_view body = d.substr(header + 1);
  if (r.type == connack) {
    if (body.size() != 1) return std::nullopt;
    r.rc = static_cast<uint8_t>(body[0]);
  } else if (r.type == regack || r.type == puback) {
    if (body.size() != 5) return std::nullopt;
    r.topic_id = read_u16(body, 0);
    r.msg_id = read_u16(body, 2);
    r.rc = static_cast<uint8_t>(body[4]);
  }
  return r;
}

}  // namespace sn

// ------------------------------------------------------------ the verifying subscriber

// One MQTT 3.1.1 connection subscribed to the benchmark's topics. Hands each
// PUBLISH payload to on_message, acknowledges QoS 1 once per read, and calls
// on_batch after each read so the publishers refill their windows in bulk.
class Subscriber {
 public:
  Subscriber(asio::io_context& io, std::string client_id, std::string filter, int qos)
      : conn_(io, 64 * 1024),
        client_id_(std::move(client_id)),
        filter_(std::move(filter)),
        qos_(qos) {
    conn_.on_connected = [this] { conn_.send(raw_mqtt::connect(client_id_)); };
    conn_.on_packet = [this](uint8_t first_byte, std::string_view body) {
      handle(first_byte, body);
    };
    conn_.on_read = [this] {
      conn_.flush();  // the PUBACKs of this read, together
      if (on_batch) on_batch();
    };
    conn_.on_error = [this](const ErrorCode& ec, const char* where) {
      fail("subscriber " + std::string(where) + ": " + ec.message());
    };
  }

  std::function<void()> on_subscribed;
  std::function<void(std::string_view payload, bool dup)> on_message;
  std::function<void()> on_batch;
  std::function<void(const std::string&)> on_error;

  void start(const tcp::endpoint& ep) { conn_.connect(ep); }

  // DISCONNECT, then the socket closes once it has left.
  void stop() {
    if (conn_.closed()) return;
    closing_ = true;
    conn_.send(raw_mqtt::disconnect());
    conn_.close_after_flush();
  }

 private:
  // The broker closing the connection after our DISCONNECT is no error.
  void fail(const std::string& why) {
    if (closing_) return;
    conn_.close();
    if (on_error) on_error(why);
  }

  void handle(uint8_t first_byte, std::string_view body) {
    switch (first_byte >> 4) {
      case 2:  // CONNACK
        if (body.size() != 2 || body[1] != 0) return fail("subscriber: CONNACK refused");
        return conn_.send(raw_mqtt::subscribe(1, filter_, qos_));
      case 9:  // SUBACK
        if (body.size() != 3 || static_cast<uint8_t>(body[2]) == 0x80) {
          return fail("subscriber: SUBACK refused");
        }
        if (on_subscribed) on_subscribed();
        return;
      case 3:
        return handle_publish(first_byte, body);
      default:
        return;
    }
  }

  void handle_publish(uint8_t first_byte, std::string_view body) {
    const auto publish = raw_mqtt::parse_publish(first_byte, body);
    if (!publish) return fail("subscriber: short PUBLISH");
    if (publish->qos > 0) raw_mqtt::append_puback(conn_.out(), publish->packet_id);
    if (on_message) on_message(publish->payload, publish->dup);
  }

  Conn conn_;
  std::string client_id_, filter_;
  int qos_;
  bool closing_ = false;
};

// ------------------------------------------------------------ the publishing clients

enum class Stage : uint8_t { idle, connecting, registering, ready, disconnecting, done };

// A QoS 1 PUBLISH awaiting its PUBACK.
struct Inflight {
  uint16_t msg_id = 0;
  uint64_t seq = 0;
  Clock::time_point sent_at{};
  unsigned retries = 0;
};

struct SnClient {
  explicit SnClient(asio::io_context& io) : socket(io) {}

  udp::socket socket;
  uint16_t local_port = 0;
  std::array<char, 1500> rx{};
  udp::endpoint sender;
  Stage stage = Stage::idle;
  std::string client_id, topic;
  uint16_t topic_id = 0;
  uint16_t last_msg_id = 0;
  Clock::time_point handshake_sent{};
  unsigned handshake_retries = 0;
  std::string tx;  // the datagram being built

  uint64_t quota = 0;
  uint64_t sent = 0;  // first transmissions; also the next sequence number
  // Sequences below this no longer hold the window: seen by the subscriber,
  // or given up after a stall.
  uint64_t window_base = 0;
  Clock::time_point last_progress{};
  std::vector<Inflight> inflight;  // QoS 1, oldest first

  // At the subscriber: arrivals from this client.
  uint64_t next_expected = 0;  // highest sequence seen + 1
  std::vector<bool> seen;
  uint64_t received = 0;
  bool touched = false;      // listed in Bench::touched_
  bool pump_posted = false;  // another burst is queued on the loop

  uint16_t next_msg_id() {
    last_msg_id = static_cast<uint16_t>(last_msg_id % 0xFFFF + 1);  // 0x0000 is not a MsgId
    return last_msg_id;
  }
};

// ------------------------------------------------------------ the run

class Bench {
 public:
  explicit Bench(const Options& o) : o_(o), hard_stop_(io_), tick_(io_), linger_(io_), tag_(o.tag) {
    gateway_ = udp::endpoint(asio::ip::make_address(o.host), o.port);
    broker_ = tcp::endpoint(asio::ip::make_address(o.host), o.mqtt_port);
    per_client_window_ = std::max<std::size_t>(1, o.window / o.clients);
    // The gateway drops a client silent for 1.5 keepalives: outlast the run.
    keepalive_ = static_cast<uint16_t>(std::min(65535.0, o.timeout + 60));
  }

  int run() {
    arm_hard_stop();
    start_subscriber();
    io_.run();
    report();
    return ok() ? 0 : 1;
  }

 private:
  // ---- phase 1: the subscriber is in place before anyone publishes

  void arm_hard_stop() {
    hard_stop_.expires_after(secs(o_.timeout));
    hard_stop_.async_wait([this](const ErrorCode& ec) {
      if (ec) return;
      if (!finished_) {
        timed_out_ = true;
        mark_finished();
      }
      io_.stop();
    });
  }

  void start_subscriber() {
    sub_ =
        std::make_unique<Subscriber>(io_, "snb" + tag_ + "-sub", "bench/sn/" + tag_ + "/#", o_.qos);
    sub_->on_subscribed = [this] { open_clients(); };
    sub_->on_message = [this](std::string_view payload, bool dup) { on_delivery(payload, dup); };
    sub_->on_batch = [this] { after_deliveries(); };
    sub_->on_error = [this](const std::string& why) { fail(why); };
    sub_->start(broker_);
  }

  void fail(const std::string& why) {
    ++errors_;
    if (first_error_.empty()) first_error_ = why;
    if (!finished_) mark_finished();
    io_.stop();
  }

  // ---- phase 2: CONNECT and REGISTER, a bounded number at a time

  void open_clients() {
    clients_.reserve(o_.clients);
    const uint64_t share = o_.count / o_.clients;
    for (std::size_t i = 0; i < o_.clients; ++i) {
      auto c = std::make_unique<SnClient>(io_);
      ErrorCode ec;
      c->socket.open(udp::v4(), ec);
      if (!ec) c->socket.bind(udp::endpoint(gateway_.address(), 0), ec);
      // Sends never wait: a full socket buffer shows as would_block and the
      // client tries again on the next event, as a device would.
      if (!ec) c->socket.non_blocking(true, ec);
      if (ec) return fail("udp socket: " + ec.message());
      c->local_port = c->socket.local_endpoint(ec).port();
      c->client_id = "snb" + tag_ + "-" + std::to_string(i);
      c->topic = "bench/sn/" + tag_ + "/" + std::to_string(i);
      c->quota = share + (i < o_.count % o_.clients ? 1 : 0);
      c->seen.assign(c->quota, false);
      client_ports_.push_back(c->local_port);
      clients_.push_back(std::move(c));
      receive(clients_.back().get(), i);
    }
    handshake_start_ = Clock::now();
    arm_tick();
    start_next_handshakes();
  }

  void start_next_handshakes() {
    for (std::size_t guard = 0; guard < o_.clients && next_to_connect_ < clients_.size() &&
                                handshaking_ < o_.connect_concurrency;
         ++guard) {
      SnClient& c = *clients_[next_to_connect_++];
      ++handshaking_;
      c.stage = Stage::connecting;
      send_handshake(c);
    }
  }

  void send_handshake(SnClient& c) {
    c.handshake_sent = Clock::now();
    if (c.stage == Stage::connecting) {
      send_datagram(c, sn::connect_packet(c.client_id, keepalive_));
    } else if (c.stage == Stage::registering) {
      send_datagram(c, sn::register_packet(c.last_msg_id, c.topic));
    } else if (c.stage == Stage::disconnecting) {
      send_datagram(c, sn::disconnect_packet());
    }
  }

  bool send_datagram(SnClient& c, std::string_view bytes) {
    ErrorCode ec;
    c.socket.send_to(asio::buffer(bytes.data(), bytes.size()), gateway_, 0, ec);
    if (ec == asio::error::would_block) {
      ++send_blocked_;
      return false;
    }
    if (ec) {
      fail("udp send: " + ec.message());
      return false;
    }
    return true;
  }

  void receive(SnClient* c, std::size_t index) {
    c->socket.async_receive_from(asio::buffer(c->rx), c->sender,
                                 [this, c, index](const ErrorCode& ec, std::size_t n) {
                                   if (ec == asio::error::operation_aborted) return;
                                   if (!ec) on_datagram(*c, index, n);
                                   // ICMP errors of earlier sends surface here; the socket is fine.
                                   if (c->stage != Stage::done) receive(c, index);
                                 });
  }

  void on_datagram(SnClient& c, std::size_t index, std::size_t n) {
    if (c.sender != gateway_) return;
    auto reply = sn::parse_reply(std::string_view(c.rx.data(), n));
    if (!reply) {
      ++bad_replies_;
      return;
    }
    switch (reply->type) {
      case sn::connack:
        return on_connack(c, *reply);
      case sn::regack:
        return on_regack(c, *reply);
      case sn::puback:
        return on_puback(c, index, *reply);
      case sn::disconnect:
        return on_gateway_disconnect(c);
      default:
        ++bad_replies_;
        return;
    }
  }

  void on_connack(SnClient& c, const sn::Reply& r) {
    if (c.stage != Stage::connecting) return;  // a late duplicate
    if (r.rc != sn::accepted) return fail("CONNACK return code " + std::to_string(r.rc));
    c.stage = Stage::registering;
    c.handshake_retries = 0;
    c.next_msg_id();
    send_handshake(c);
  }

  void on_regack(SnClient& c, const sn::Reply& r) {
    if (c.stage != Stage::registering || r.msg_id != c.last_msg_id) return;
    if (r.rc != sn::accepted) return fail("REGACK return code " + std::to_string(r.rc));
    c.topic_id = r.topic_id;
    c.stage = Stage::ready;
    --handshaking_;
    if (++ready_ == clients_.size()) return start_publishing();
    start_next_handshakes();
  }

  void on_gateway_disconnect(SnClient& c) {
    if (c.stage == Stage::disconnecting) {
      c.stage = Stage::done;
      ErrorCode ignored;
      c.socket.close(ignored);
      if (++disconnected_ == ready_) stop_subscriber();
      return;
    }
    // The gateway dropped us mid-run: a finding, not something to paper over.
    fail("gateway sent DISCONNECT to " + c.client_id);
  }

  // ---- phase 3: publishing within the windows

  void start_publishing() {
    connect_s_ = seconds_between(handshake_start_, Clock::now());
    cpu_before_ = process_cpu_s(o_.pid);
    own_cpu_before_ = own_cpu_s();
    gw_drops_before_ = udp_drops({o_.port});
    client_drops_before_ = udp_drops(client_ports_);
    start_ = Clock::now();
    send_end_ = start_;
    last_delivery_ = start_;
    publishing_ = true;
    pump_all();
  }

  std::size_t unseen(const SnClient& c) const {
    return static_cast<std::size_t>(c.sent - std::max(c.window_base, c.next_expected));
  }

  bool may_send(const SnClient& c) const {
    if (c.stage != Stage::ready || c.sent >= c.quota) return false;
    if (unseen(c) >= per_client_window_ || outstanding_ >= o_.window) return false;
    return o_.qos == 0 || c.inflight.size() < o_.pub_window;
  }

  void pump_all() {
    for (std::size_t i = 0; i < clients_.size(); ++i) pump(*clients_[i], i);
  }

  // Sends what the client's windows allow, a burst at a time: between bursts
  // the loop reads, or a wide window would starve the subscriber of its
  // turn and the broker's queue for it would overflow instead.
  void pump(SnClient& c, std::size_t index) {
    if (!publishing_ || finished_) return;
    constexpr std::size_t burst = 64;
    auto now = Clock::now();
    for (std::size_t n = 0; n < burst && may_send(c); ++n) {
      now = Clock::now();
      if (unseen(c) == 0) c.last_progress = now;  // the stall clock starts with the first unseen
      const uint16_t msg_id = o_.qos ? c.next_msg_id() : 0;
      sn::write_publish(c.tx, o_.qos == 1, false, c.topic_id, msg_id, static_cast<uint32_t>(index),
                        c.sent, o_.size);
      if (!send_datagram(c, c.tx)) break;
      if (o_.qos) {
        c.inflight.push_back(Inflight{msg_id, c.sent, now, 0});
        ++inflight_total_;
      }
      ++c.sent;
      ++sent_total_;
      ++outstanding_;
      send_end_ = now;
    }
    if (may_send(c) && !c.pump_posted) {
      c.pump_posted = true;
      asio::post(io_, [this, &c, index] {
        c.pump_posted = false;
        pump(c, index);
      });
    }
    check_done(now);
  }

  void on_puback(SnClient& c, std::size_t index, const sn::Reply& r) {
    auto it = std::find_if(c.inflight.begin(), c.inflight.end(),
                           [&](const Inflight& f) { return f.msg_id == r.msg_id; });
    if (it == c.inflight.end()) {
      ++late_pubacks_;  // for a retransmission already acknowledged
      return;
    }
    if (r.rc == sn::congestion) {
      // 6.10: the client may send again later; the retry timer does that.
      ++rejected_;
      return;
    }
    if (r.rc != sn::accepted) ++rejected_;  // invalid topic id or not supported: not retried
    c.inflight.erase(it);
    --inflight_total_;
    pump(c, index);
  }

  // ---- the subscriber's side

  void on_delivery(std::string_view payload, bool dup) {
    if (payload.size() < 12) return fail("payload too short");
    uint32_t index = 0;
    uint64_t seq = 0;
    read_stamp(payload.data(), index, seq);
    if (index >= clients_.size() || seq >= clients_[index]->quota) {
      return fail("payload names no message of this run");
    }
    SnClient& c = *clients_[index];
    const std::size_t unseen_before = unseen(c);
    if (dup) ++dup_flag_;
    if (c.seen[seq]) {
      ++duplicates_;  // QoS 1 at least once: a retransmission that got through twice
      return;
    }
    c.seen[seq] = true;
    if (seq < c.next_expected) {
      ++reordered_;  // arrived after a later message of the same publisher
    } else {
      c.next_expected = seq + 1;
    }
    ++c.received;
    ++received_total_;
    outstanding_ -= unseen_before - unseen(c);
    if (!c.touched) {
      c.touched = true;
      touched_.push_back(index);
    }
    c.last_progress = Clock::now();
    last_delivery_ = c.last_progress;
  }

  // Clients whose messages arrived have room in their own window. With more
  // clients than the window holds, the shared window binds instead: the room
  // goes round the others in turn.
  void after_deliveries() {
    for (std::size_t index : touched_) {
      clients_[index]->touched = false;
      pump(*clients_[index], index);
    }
    touched_.clear();
    if (clients_.size() <= o_.window) return;
    for (std::size_t n = 0; n < clients_.size() && outstanding_ < o_.window; ++n) {
      next_turn_ = (next_turn_ + 1) % clients_.size();
      pump(*clients_[next_turn_], next_turn_);
    }
  }

  // ---- timers: retransmissions, stalls, the end of the run

  void arm_tick() {
    tick_.expires_after(std::chrono::milliseconds(20));
    tick_.async_wait([this](const ErrorCode& ec) {
      if (ec || finished_) return;
      on_tick();
      arm_tick();
    });
  }

  void on_tick() {
    auto now = Clock::now();
    retry_handshakes(now);
    if (!publishing_) return;
    retransmit_publishes(now);
    release_stalled_windows(now);
    pump_all();
    check_done(now);
  }

  void retry_handshakes(Clock::time_point now) {
    for (auto& c : clients_) {
      if (c->stage != Stage::connecting && c->stage != Stage::registering) continue;
      if (now - c->handshake_sent < secs(o_.retry)) continue;
      if (c->handshake_retries >= o_.max_retries) {
        return fail("no answer to " +
                    std::string(c->stage == Stage::connecting ? "CONNECT" : "REGISTER") + " from " +
                    c->client_id);
      }
      ++c->handshake_retries;
      ++handshake_retransmits_;
      send_handshake(*c);
    }
  }

  void retransmit_publishes(Clock::time_point now) {
    if (o_.qos == 0) return;
    for (std::size_t i = 0; i < clients_.size(); ++i) {
      SnClient& c = *clients_[i];
      for (std::size_t k = 0; k < c.inflight.size();) {
        Inflight& f = c.inflight[k];
        if (now - f.sent_at < secs(o_.retry)) {
          ++k;
          continue;
        }
        if (f.retries >= o_.max_retries) {
          ++gave_up_;
          --inflight_total_;
          c.inflight.erase(c.inflight.begin() + static_cast<std::ptrdiff_t>(k));
          continue;
        }
        // 5.3.4: DUP set, same MsgId.
        sn::write_publish(c.tx, true, true, c.topic_id, f.msg_id, static_cast<uint32_t>(i), f.seq,
                          o_.size);
        if (!send_datagram(c, c.tx)) break;
        ++f.retries;
        f.sent_at = now;
        ++retransmits_;
        ++k;
      }
    }
  }

  // A client whose every unseen message was lost would wait forever: after
  // `stall` seconds without a delivery its window opens again.
  void release_stalled_windows(Clock::time_point now) {
    for (auto& c : clients_) {
      if (unseen(*c) == 0 || now - c->last_progress < secs(o_.stall)) continue;
      outstanding_ -= unseen(*c);
      c->window_base = c->sent;
      ++stall_releases_;
    }
  }

  bool all_sent() const { return sent_total_ == o_.count && inflight_total_ == 0; }

  void check_done(Clock::time_point now) {
    if (finished_ || !publishing_ || !all_sent()) return;
    const bool everything_arrived = received_total_ == sent_total_;
    const bool drained = now - std::max(last_delivery_, send_end_) > secs(o_.drain);
    if (!everything_arrived && !drained) return;
    mark_finished();
    disconnect_clients();
  }

  void mark_finished() {
    finished_ = true;
    end_ = Clock::now();
    if (!publishing_) start_ = send_end_ = last_delivery_ = end_;
    cpu_after_ = process_cpu_s(o_.pid);
    own_cpu_after_ = own_cpu_s();
    gw_drops_after_ = udp_drops({o_.port});
    client_drops_after_ = udp_drops(client_ports_);
    tick_.cancel();
  }

  // ---- phase 4: leave cleanly, so the next run meets an empty gateway

  void disconnect_clients() {
    for (auto& c : clients_) {
      if (c->stage != Stage::ready) continue;
      c->stage = Stage::disconnecting;
      send_handshake(*c);
    }
    if (ready_ == 0) return stop_subscriber();
    // A lost DISCONNECT is not worth a retry loop: the keepalive reaps the client.
    linger_.expires_after(std::chrono::seconds(2));
    linger_.async_wait([this](const ErrorCode& ec) {
      if (!ec) stop_subscriber();
    });
  }

  void stop_subscriber() {
    linger_.cancel();
    for (auto& c : clients_) {
      ErrorCode ignored;
      c->stage = Stage::done;
      c->socket.close(ignored);
    }
    // The loop ends once the subscriber's DISCONNECT has left and its socket
    // closed; the hard stop now only bounds that.
    hard_stop_.expires_after(std::chrono::seconds(2));
    hard_stop_.async_wait([this](const ErrorCode& ec) {
      if (!ec) io_.stop();
    });
    sub_->stop();
  }

  // ---- the result line

  uint64_t lost() const {
    return sent_total_ > received_total_ ? sent_total_ - received_total_ : 0;
  }

  bool ok() const {
    return finished_ && !timed_out_ && errors_ == 0 && publishing_ && sent_total_ == o_.count &&
           lost() == 0 && reordered_ == 0;
  }

  void report() {
    const double send_s = seconds_between(start_, send_end_);
    const double deliver_s = seconds_between(start_, last_delivery_);
    const double cpu = cpu_before_ >= 0 && cpu_after_ >= 0 ? cpu_after_ - cpu_before_ : -1;
    Line l;
    l.kv("qos", o_.qos).kv("clients", o_.clients).kv("sent", sent_total_);
    l.kv("received", received_total_).kv("lost", lost()).kv("reordered", reordered_);
    l.kv("publishes_per_s", fixed(send_s > 0 ? sent_total_ / send_s : 0, 0));
    l.kv("delivered_per_s", fixed(deliver_s > 0 ? received_total_ / deliver_s : 0, 0));
    l.kv("broker_cpu_s", cpu >= 0 ? fixed(cpu, 3) : "-");
    l.kv("label", o_.label.empty() ? "-" : o_.label).kv("count", o_.count);
    l.kv("size", o_.size).kv("window", o_.window).kv("client_window", per_client_window_);
    l.kv("pub_window", o_.qos ? std::to_string(o_.pub_window) : "-");
    l.kv("duplicates", duplicates_).kv("dup_flag", dup_flag_);
    l.kv("retransmits", retransmits_).kv("gave_up", gave_up_).kv("rejected", rejected_);
    l.kv("stall_releases", stall_releases_);
    l.kv("gw_rcvbuf_drops", gw_drops_after_ - gw_drops_before_);
    l.kv("client_rcvbuf_drops", client_drops_after_ - client_drops_before_);
    l.kv("late_pubacks", late_pubacks_).kv("bad_replies", bad_replies_);
    l.kv("send_blocked", send_blocked_).kv("handshake_retransmits", handshake_retransmits_);
    l.kv("connect_s", fixed(connect_s_, 4));
    l.kv("connects_per_s",
         publishing_ && connect_s_ > 0 ? fixed(clients_.size() / connect_s_, 0) : "-");
    l.kv("elapsed_s", fixed(deliver_s, 3));
    l.kv("cpu_us_per_msg",
         cpu >= 0 && received_total_ ? fixed(cpu * 1e6 / received_total_, 2) : "-");
    l.kv("bench_cpu_s", fixed(own_cpu_after_ - own_cpu_before_, 3));
    l.kv("timeout", timed_out_ ? 1 : 0).kv("errors", errors_).error(first_error_);
    l.kv("ok", ok() ? 1 : 0).print();
  }

  const Options& o_;
  asio::io_context io_;
  asio::steady_timer hard_stop_, tick_, linger_;
  std::string tag_;  // keeps client ids and topics apart from any other run
  udp::endpoint gateway_;
  tcp::endpoint broker_;
  std::size_t per_client_window_ = 1;
  uint16_t keepalive_ = 60;

  std::unique_ptr<Subscriber> sub_;
  std::vector<std::unique_ptr<SnClient>> clients_;
  std::vector<uint16_t> client_ports_;
  std::vector<std::size_t> touched_;  // clients with deliveries in the current read
  std::size_t next_turn_ = 0;
  uint64_t outstanding_ = 0;  // sent, not yet seen, not given up: all clients together
  std::size_t next_to_connect_ = 0, handshaking_ = 0, ready_ = 0, disconnected_ = 0;
  bool publishing_ = false, finished_ = false, timed_out_ = false;

  uint64_t inflight_total_ = 0;
  uint64_t sent_total_ = 0, received_total_ = 0, reordered_ = 0, duplicates_ = 0, dup_flag_ = 0;
  uint64_t retransmits_ = 0, gave_up_ = 0, rejected_ = 0, late_pubacks_ = 0, stall_releases_ = 0;
  uint64_t send_blocked_ = 0, handshake_retransmits_ = 0, bad_replies_ = 0, errors_ = 0;
  std::string first_error_;

  Clock::time_point handshake_start_{}, start_{}, send_end_{}, last_delivery_{}, end_{};
  double connect_s_ = 0;
  double cpu_before_ = -1, cpu_after_ = -1, own_cpu_before_ = 0, own_cpu_after_ = 0;
  uint64_t gw_drops_before_ = 0, gw_drops_after_ = 0;
  uint64_t client_drops_before_ = 0, client_drops_after_ = 0;
};

}  // namespace
}  // namespace trellis::bench

int main(int argc, char** argv) {
  using namespace trellis::bench;
  const Options o = parse_options(argc, argv);
  raise_open_file_limit();
  return Bench(o).run();
}
