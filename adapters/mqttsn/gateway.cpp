#include "adapters/mqttsn/gateway.hpp"

#include <array>
#include <atomic>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "adapters/mqttsn/counters.hpp"
#include "adapters/mqttsn/gateway_core.hpp"
#include "adapters/mqttsn/peer_address.hpp"
#include "core/log.hpp"

namespace trellis::mqttsn {

namespace asio = boost::asio;
using udp = asio::ip::udp;
using ErrorCode = boost::system::error_code;

namespace {

// Datagrams handled per wake-up before other handlers get the thread.
constexpr int datagrams_per_wake = 64;
// Datagrams handled at shutdown: what a socket buffer holds, without waiting
// on clients that keep sending.
constexpr int datagrams_at_shutdown = 1024;

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

class Gateway::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::io_context& io, Bus& bus, Metrics& metrics, GatewayOptions options,
       DeviceDirectory* directory)
      : io_(io),
        strand_(asio::make_strand(io)),
        socket_(strand_),
        timer_(strand_),
        bus_(bus),
        options_(resolve_advertise(io, std::move(options))),
        counters_(metrics),
        core_(options_, counters_, directory) {}

  Status start();
  void stop();
  uint16_t port() const { return port_.load(); }
  bool stopped() const { return done_.load(); }
  std::vector<ClientInfo> clients() const {
    std::lock_guard lock(mu_);
    return core_.clients();
  }
  bool disconnect(const std::string& client_id);

  // From a SessionSubscriber, on a publisher's thread under the bus lock.
  void deliver(uint64_t session, const MessagePtr& msg, uint8_t qos);

 private:
  // One per session with subscriptions: the bus's handle on it. Queues and
  // posts; never touches the gateway's state on the publisher's thread.
  class SessionSubscriber final : public Subscriber {
   public:
    SessionSubscriber(std::weak_ptr<Impl> gateway, uint64_t session)
        : gateway_(std::move(gateway)), session_(session) {}
    void deliver(const MessagePtr& msg, uint8_t qos) override;

   private:
    std::weak_ptr<Impl> gateway_;
    uint64_t session_;
  };

  static GatewayOptions resolve_advertise(asio::io_context& io, GatewayOptions options);
  void do_receive();
  void on_receive(ErrorCode ec, std::size_t n);
  // Both with mu_ held: one datagram just received into rx_, and up to `max`
  // more that the socket already holds.
  void handle_datagram(std::size_t n, Actions& actions);
  void handle_waiting(int max, Actions& actions);
  void finish_stop();
  void arm_timer();
  void on_timer(ErrorCode ec);
  void drain_deliveries();
  // Carries out actions in order; some add more (retained messages).
  void execute(Actions& actions, Clock::time_point now);
  void send(const SendAction& action);
  std::shared_ptr<Subscriber> subscriber_for(uint64_t session);

  asio::io_context& io_;
  asio::strand<asio::io_context::executor_type> strand_;
  udp::socket socket_;
  asio::steady_timer timer_;
  Bus& bus_;
  GatewayOptions options_;
  GatewayCounters counters_;
  std::array<char, 65536> rx_{};
  udp::endpoint sender_;
  std::atomic<uint16_t> port_{0};
  std::atomic<bool> done_{false};
  bool stopped_ = false;  // strand only

  // Guards core_: the strand mutates it; clients() reads it from elsewhere.
  mutable std::mutex mu_;
  GatewayCore core_;
  std::unordered_map<uint64_t, std::shared_ptr<Subscriber>> subscribers_;  // strand only

  struct Delivery {
    uint64_t session;
    MessagePtr msg;
    uint8_t qos;
  };
  std::mutex inbox_mu_;
  std::vector<Delivery> inbox_;
  bool drain_posted_ = false;
};

void Gateway::Impl::SessionSubscriber::deliver(const MessagePtr& msg, uint8_t qos) {
  if (auto g = gateway_.lock()) g->deliver(session_, msg, qos);
}

GatewayOptions Gateway::Impl::resolve_advertise(asio::io_context& io, GatewayOptions options) {
  if (options.advertise_address.empty() || parse_address(options.advertise_address)) {
    return options;
  }
  // A host name: resolved once, at start-up.
  auto colon = options.advertise_address.rfind(':');
  ErrorCode ec;
  udp::resolver resolver(io);
  auto found = colon == std::string::npos
                   ? udp::resolver::results_type()
                   : resolver.resolve(options.advertise_address.substr(0, colon),
                                      options.advertise_address.substr(colon + 1), ec);
  if (colon == std::string::npos || ec || found.empty()) {
    TLOG(warn, "mqttsn") << "advertise address unusable, ADVERTISE off"
                         << log::kv("address", options.advertise_address)
                         << log::kv("error", ec ? ec.message() : "no port");
    options.advertise_address.clear();
    return options;
  }
  options.advertise_address = address_text(found.begin()->endpoint());
  return options;
}

Status Gateway::Impl::start() {
  ErrorCode ec;
  udp::resolver resolver(io_);
  auto found = resolver.resolve(options_.bind, std::to_string(options_.port),
                                udp::resolver::passive | udp::resolver::numeric_service, ec);
  if (ec || found.empty()) {
    return make_error("mqttsn_bind", "mqttsn.bind: cannot resolve '" + options_.bind +
                                         "': " + (ec ? ec.message() : "no address"));
  }
  udp::endpoint ep = found.begin()->endpoint();
  socket_.open(ep.protocol(), ec);
  if (!ec) socket_.bind(ep, ec);
  if (ec) {
    ErrorCode ignored;
    socket_.close(ignored);
    return make_error("mqttsn_bind",
                      "MQTT-SN: cannot bind " + address_text(ep) + ": " + ec.message());
  }
  // Sends never wait: a datagram the kernel cannot take now is dropped and
  // counted, as the network would have lost it.
  socket_.non_blocking(true, ec);
  if (ep.protocol() == udp::v4()) socket_.set_option(asio::socket_base::broadcast(true), ec);
  port_ = socket_.local_endpoint(ec).port();
  TLOG(info, "mqttsn") << "gateway listening" << log::kv("bind", options_.bind)
                       << log::kv("port", port_.load())
                       << log::kv("gateway_id", static_cast<int>(options_.gateway_id))
                       << log::kv("predefined_topics", options_.predefined_topics.size());
  asio::post(strand_, [self = shared_from_this()] {
    self->do_receive();
    self->arm_timer();
  });
  return Ok{};
}

void Gateway::Impl::stop() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->stopped_) return;
    self->stopped_ = true;
    self->timer_.cancel();
    if (!self->socket_.is_open()) {
      self->done_ = true;
      return;
    }
    // The receive in flight may hold a datagram already, its completion on the
    // way; cancelled, it completes either way, and on_receive finishes the stop.
    ErrorCode ec;
    self->socket_.cancel(ec);
  });
}

void Gateway::Impl::finish_stop() {
  {
    std::lock_guard lock(mu_);
    Actions actions;
    // What reached the socket before the signal is handled, not dropped.
    handle_waiting(datagrams_at_shutdown, actions);
    core_.shutdown(actions);
    execute(actions, Clock::now());
  }
  ErrorCode ec;
  socket_.close(ec);
  done_ = true;
  TLOG(info, "mqttsn") << "gateway stopped";
}

bool Gateway::Impl::disconnect(const std::string& client_id) {
  {
    std::lock_guard lock(mu_);
    const Client* c = core_.find(client_id);
    if (!c || !c->connected()) return false;
  }
  asio::post(strand_, [self = shared_from_this(), client_id] {
    if (self->stopped_) return;
    std::lock_guard lock(self->mu_);
    Actions actions;
    auto now = Clock::now();
    self->core_.disconnect(client_id, now, actions);
    self->execute(actions, now);
  });
  return true;
}

void Gateway::Impl::do_receive() {
  socket_.async_receive_from(
      asio::buffer(rx_), sender_,
      [self = shared_from_this()](ErrorCode ec, std::size_t n) { self->on_receive(ec, n); });
}

void Gateway::Impl::on_receive(ErrorCode ec, std::size_t n) {
  if (!ec) {
    std::lock_guard lock(mu_);
    Actions actions;
    handle_datagram(n, actions);
    // Take what else has arrived before anything the datagrams woke runs: a
    // subscriber then gets their messages in one write, not one each.
    if (!stopped_) handle_waiting(datagrams_per_wake - 1, actions);
  } else if (ec != asio::error::operation_aborted) {
    // ICMP errors of earlier sends surface here on some systems; the socket
    // itself is fine.
    TLOG(debug, "mqttsn") << "receive error" << log::kv("error", ec.message());
  }
  if (stopped_) return finish_stop();
  if (ec == asio::error::operation_aborted) return;
  do_receive();
}

void Gateway::Impl::handle_datagram(std::size_t n, Actions& actions) {
  const auto now = Clock::now();
  core_.on_datagram(address_text(sender_), std::string_view(rx_.data(), n), now, actions);
  execute(actions, now);
}

void Gateway::Impl::handle_waiting(int max, Actions& actions) {
  for (int i = 0; i < max; ++i) {
    ErrorCode ec;
    const std::size_t n = socket_.receive_from(asio::buffer(rx_), sender_, 0, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return;
    if (ec) continue;  // an earlier send's ICMP error, ignored as in on_receive
    handle_datagram(n, actions);
  }
}

void Gateway::Impl::arm_timer() {
  timer_.expires_after(options_.tick_interval);
  timer_.async_wait([self = shared_from_this()](ErrorCode ec) { self->on_timer(ec); });
}

void Gateway::Impl::on_timer(ErrorCode ec) {
  if (ec || stopped_) return;
  {
    std::lock_guard lock(mu_);
    Actions actions;
    auto now = Clock::now();
    core_.on_tick(now, actions);
    execute(actions, now);
  }
  arm_timer();
}

void Gateway::Impl::deliver(uint64_t session, const MessagePtr& msg, uint8_t qos) {
  bool post;
  {
    std::lock_guard lock(inbox_mu_);
    inbox_.push_back(Delivery{session, msg, qos});
    post = !drain_posted_;
    drain_posted_ = true;
  }
  if (post) asio::post(strand_, [self = shared_from_this()] { self->drain_deliveries(); });
}

void Gateway::Impl::drain_deliveries() {
  std::vector<Delivery> batch;
  {
    std::lock_guard lock(inbox_mu_);
    batch.swap(inbox_);
    drain_posted_ = false;
  }
  if (stopped_) return;
  std::lock_guard lock(mu_);
  Actions actions;
  auto now = Clock::now();
  for (const auto& d : batch) core_.on_deliver(d.session, d.msg, d.qos, now, actions);
  execute(actions, now);
}

std::shared_ptr<Subscriber> Gateway::Impl::subscriber_for(uint64_t session) {
  auto& sub = subscribers_[session];
  if (!sub) sub = std::make_shared<SessionSubscriber>(weak_from_this(), session);
  return sub;
}

void Gateway::Impl::execute(Actions& actions, Clock::time_point now) {
  // Index loop: on_retained appends to `actions` while it is being walked.
  for (std::size_t i = 0; i < actions.size(); ++i) {
    Action action = std::move(actions[i]);
    std::visit(Overloaded{
                   [&](SendAction& a) { send(a); },
                   [&](PublishAction& a) { bus_.publish(a.message); },
                   [&](SubscribeAction& a) {
                     std::vector<MessagePtr> retained;
                     bus_.subscribe(subscriber_for(a.session), a.filter, a.qos,
                                    [&](const MessagePtr& m) { retained.push_back(m); });
                     // Live ones wait in the inbox until mu_ is free: these go first.
                     if (!retained.empty())
                       core_.on_retained(a.session, retained, a.qos, now, actions);
                   },
                   [&](UnsubscribeAction& a) {
                     auto it = subscribers_.find(a.session);
                     if (it != subscribers_.end()) bus_.unsubscribe(it->second.get(), a.filter);
                   },
                   [&](ForgetAction& a) {
                     auto it = subscribers_.find(a.session);
                     if (it == subscribers_.end()) return;
                     bus_.unsubscribe_all(it->second.get());
                     subscribers_.erase(it);
                   },
               },
               action);
  }
  actions.clear();
}

void Gateway::Impl::send(const SendAction& action) {
  std::string datagram = encode(action.message);
  if (datagram.empty() || datagram.size() > options_.max_datagram) {
    counters_.dropped_too_large.add();
    return;
  }
  auto ep = parse_address(action.address);
  if (!ep) {
    counters_.dropped_send_failed.add();
    TLOG(debug, "mqttsn") << "bad destination" << log::kv("address", action.address);
    return;
  }
  ErrorCode ec;
  socket_.send_to(asio::buffer(datagram), *ep, 0, ec);
  if (ec) {
    counters_.dropped_send_failed.add();
    TLOG(debug, "mqttsn") << "send failed" << log::kv("remote", action.address)
                          << log::kv("type", name(type_of(action.message)))
                          << log::kv("error", ec.message());
    return;
  }
  counters_.datagrams_sent.add();
  counters_.bytes_sent.add(datagram.size());
  TLOG(trace, "mqttsn") << "sent" << log::kv("remote", action.address)
                        << log::kv("type", name(type_of(action.message)));
}

// ------------------------------------------------------------------ Gateway

Gateway::Gateway(asio::io_context& io, Bus& bus, Metrics& metrics, GatewayOptions options,
                 DeviceDirectory* directory)
    : impl_(std::make_shared<Impl>(io, bus, metrics, std::move(options), directory)) {}

Gateway::~Gateway() = default;

Status Gateway::start() {
  return impl_->start();
}
void Gateway::stop() {
  impl_->stop();
}
bool Gateway::stopped() const {
  return impl_->stopped();
}
uint16_t Gateway::port() const {
  return impl_->port();
}
std::vector<ClientInfo> Gateway::clients() const {
  return impl_->clients();
}
bool Gateway::disconnect(const std::string& client_id) {
  return impl_->disconnect(client_id);
}

}  // namespace trellis::mqttsn
