// Drives the MQTT-SN gateway core with arbitrary traffic: datagrams from four
// addresses, clock ticks, bus deliveries and REST disconnects, in any order.
// Whatever arrives, every datagram the gateway sends must itself decode, the
// client list must agree with the gauges, and no buffer may exceed its bound.
//
// Input: a sequence of records, each starting with an op octet:
//   op % 4 == 0: datagram: address octet, length octet, that many octets
//   op % 4 == 1: tick: advance the clock by (octet x 100 ms)
//   op % 4 == 2: bus message: topic octet, qos octet, delivered to every
//                subscription that matches, then the retained ones replayed
//   op % 4 == 3: REST disconnect of the client named by the next octet
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>

#include "adapters/mqttsn/gateway_core.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/topic.hpp"
#include "invariant.hpp"

namespace {

using namespace trellis;
using namespace trellis::mqttsn;

using trellis::fuzz::require;

const char* const kAddresses[] = {"10.0.0.1:1", "10.0.0.2:2", "10.0.0.3:3", "[::1]:4"};
const char* const kTopics[] = {"a/b", "a/c", "ab", "pre/one", "x/y/z", "$SYS/x"};
const char* const kClientIds[] = {"c1", "c2", "c3", "ab"};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool empty() const { return pos_ >= in_.size(); }
  uint8_t octet() { return pos_ < in_.size() ? static_cast<uint8_t>(in_[pos_++]) : 0; }
  std::string_view take(std::size_t n) {
    n = std::min(n, in_.size() - pos_);
    auto s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
};

struct World {
  World() : counters(metrics), core(options(), counters, nullptr) {}
  static GatewayOptions options() {
    GatewayOptions o;
    o.predefined_topics = {{1, "pre/one"}, {2, "pre/two"}};
    o.retry_interval = std::chrono::seconds(1);
    o.max_retries = 2;
    o.max_buffered_messages = 4;
    o.max_topics_per_client = 8;
    o.advertise_interval = std::chrono::seconds(3);
    o.advertise_address = "255.255.255.255:1884";
    return o;
  }

  // Carries out actions as Gateway would, checking what is sent.
  void run(Actions& out) {
    for (std::size_t i = 0; i < out.size(); ++i) {
      Action a = std::move(out[i]);
      if (auto* s = std::get_if<SendAction>(&a)) {
        std::string bytes = encode(s->message);
        require(!bytes.empty(), "the gateway sends a message that cannot be framed");
        auto back = decode(bytes);
        require(back.ok(), "the gateway sends a datagram that does not decode");
        require(*back == s->message, "the gateway's datagram decodes differently");
      } else if (auto* p = std::get_if<PublishAction>(&a)) {
        require(topic::validate_name(p->message->topic).ok(), "publish on an invalid topic");
        require(!topic::is_system(p->message->topic), "a device published to a $ topic");
        if (p->message->retain) retained[p->message->topic] = p->message;
      } else if (auto* sub = std::get_if<SubscribeAction>(&a)) {
        require(topic::validate_filter(sub->filter).ok(), "subscription to an invalid filter");
        subs[{sub->session, sub->filter}] = sub->qos;
        std::vector<MessagePtr> kept;
        for (const auto& [name, msg] : retained) {
          if (topic::matches(sub->filter, name)) kept.push_back(msg);
        }
        if (!kept.empty()) core.on_retained(sub->session, kept, sub->qos, now, out);
      } else if (auto* u = std::get_if<UnsubscribeAction>(&a)) {
        subs.erase({u->session, u->filter});
      } else if (auto* f = std::get_if<ForgetAction>(&a)) {
        std::erase_if(subs, [&](const auto& kv) { return kv.first.first == f->session; });
      }
    }
    out.clear();
  }

  void invariants() {
    auto list = core.clients();
    require(list.size() == core.connected_count(), "client list and count disagree");
    require(counters.clients_connected.value() == static_cast<int64_t>(list.size()),
            "connected gauge drifted");
    int64_t asleep = 0;
    for (const auto& c : list) {
      require(c.queued <= 4, "a client's buffer exceeds max_buffered_messages");
      require(c.inflight <= 1, "more than one message in flight");
      if (c.state == "asleep") ++asleep;
    }
    require(counters.clients_asleep.value() == asleep, "asleep gauge drifted");
  }

  Metrics metrics;
  GatewayCounters counters;
  GatewayCore core;
  Clock::time_point now = Clock::time_point{} + std::chrono::hours(1);
  std::map<std::pair<uint64_t, std::string>, uint8_t> subs;
  std::map<std::string, MessagePtr> retained;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  log::set_level(log::Level::off);
  World w;
  Reader r(std::string_view(reinterpret_cast<const char*>(data), size));
  Actions out;
  int steps = 0;
  while (!r.empty() && ++steps < 200) {
    uint8_t op = r.octet();
    switch (op % 4) {
      case 0: {
        std::string from = kAddresses[r.octet() % 4];
        auto datagram = r.take(r.octet());
        w.core.on_datagram(from, datagram, w.now, out);
        break;
      }
      case 1:
        w.now += std::chrono::milliseconds(100) * r.octet();
        w.core.on_tick(w.now, out);
        break;
      case 2: {
        auto msg = make_message(kTopics[r.octet() % 6], "payload", r.octet() % 3, op & 0x80);
        if (msg->retain) w.retained[msg->topic] = msg;
        for (const auto& [key, qos] : w.subs) {
          if (topic::matches(key.second, msg->topic)) {
            w.core.on_deliver(key.first, msg, std::min(msg->qos, qos), w.now, out);
          }
        }
        break;
      }
      default:
        w.core.disconnect(kClientIds[r.octet() % 4], w.now, out);
        break;
    }
    w.run(out);
    w.invariants();
  }
  w.core.shutdown(out);
  w.run(out);
  require(w.core.clients().empty(), "clients left after shutdown");
  require(w.subs.empty(), "subscriptions left after shutdown");
  return 0;
}
