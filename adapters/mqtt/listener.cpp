#include "adapters/mqtt/listener.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/strand.hpp>
#include <cerrno>
#include <cstring>

#include "core/log.hpp"

namespace trellis::mqtt {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Result<std::shared_ptr<asio::ssl::context>> make_server_tls_context(const TlsOptions& o) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  // Idle TLS connections give their record buffers back to OpenSSL.
  SSL_CTX_set_mode(ctx->native_handle(), SSL_MODE_RELEASE_BUFFERS);
  ErrorCode ec;
  ctx->use_certificate_chain_file(o.cert, ec);
  if (ec)
    return make_error("tls_cert", "mqtt.tls.cert: cannot load '" + o.cert + "': " + ec.message());
  ctx->use_private_key_file(o.key, asio::ssl::context::pem, ec);
  if (ec)
    return make_error("tls_key", "mqtt.tls.key: cannot load '" + o.key + "': " + ec.message());
  if (!o.ca.empty()) {
    ctx->load_verify_file(o.ca, ec);
    if (ec) return make_error("tls_ca", "mqtt.tls.ca: cannot load '" + o.ca + "': " + ec.message());
    auto mode = asio::ssl::verify_peer;
    if (o.require_client_cert) mode |= asio::ssl::verify_fail_if_no_peer_cert;
    ctx->set_verify_mode(mode);
  } else if (o.require_client_cert) {
    return make_error("tls_ca", "mqtt.tls.require_client_cert needs mqtt.tls.ca");
  }
  return ctx;
}

// Connections share a fixed set of strands instead of one each: a strand costs
// an allocation of about 130 bytes, most connections are idle, and with as many
// strands as this, two busy connections rarely land on the same one. A shared
// strand only serialises handlers, which never block.
class Listeners::StrandPool {
 public:
  explicit StrandPool(asio::io_context& io) {
    strands_.reserve(size);
    for (std::size_t i = 0; i < size; ++i) strands_.push_back(asio::make_strand(io.get_executor()));
  }
  Strand next() { return strands_[next_.fetch_add(1, std::memory_order_relaxed) % size]; }

 private:
  static constexpr std::size_t size = 509;  // prime, like Asio's own strand pool
  std::vector<Strand> strands_;
  std::atomic<std::size_t> next_{0};
};

// Plain TCP (an empty factory) is accepted with accept4 once Asio reports the
// listening socket readable: the new socket goes straight to the broker's
// Readiness, never through Asio's reactor, which it would only leave again.
// The listening socket itself stays in Asio's reactor: in the Readiness set,
// every connection's arrival would pass through two epoll sets.
class Listeners::Acceptor : public std::enable_shared_from_this<Acceptor> {
 public:
  using Factory = std::function<std::unique_ptr<Transport>(Socket)>;
  Acceptor(asio::io_context& io, Broker& broker, std::shared_ptr<StrandPool> strands,
           std::string kind, Factory factory)
      : broker_(broker),
        strands_(std::move(strands)),
        kind_(std::move(kind)),
        factory_(std::move(factory)),
        acceptor_(asio::make_strand(io)),
        retry_(acceptor_.get_executor()) {}

  Status open(const std::string& bind, uint16_t port) {
    ErrorCode ec;
    auto address = asio::ip::make_address(bind, ec);
    if (ec) return make_error("bad_bind", "mqtt.bind: not an IP address: '" + bind + "'");
    tcp::endpoint ep(address, port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    // Every client speaks first (CONNECT, a TLS ClientHello, an HTTP upgrade),
    // so the kernel holds a connection back until its first bytes are in: the
    // broker is woken once per connection, not twice. A client that never
    // speaks is still handed over, after about a second.
    if (!ec) enable_tcp_option(TCP_DEFER_ACCEPT, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return make_error("bind_failed", "cannot listen for MQTT " + kind_ + " on " + bind + ":" +
                                           std::to_string(port) + ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    return Ok{};
  }

  void start() {
    if (factory_) return accept();
    ErrorCode ec;
    acceptor_.non_blocking(true, ec);
    // Accepted sockets inherit it, which saves a call per connection.
    if (!ec) enable_tcp_option(TCP_NODELAY, ec);
    if (ec) {
      TLOG(error, "mqtt") << "cannot set up the listening socket" << log::kv("listener", kind_)
                          << log::kv("error", ec.message());
      return;
    }
    asio::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->accept_plain(); });
  }

  void stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      ErrorCode ec;
      self->acceptor_.close(ec);
      self->retry_.cancel();
    });
  }

  const std::string& kind() const { return kind_; }
  uint16_t port() const { return port_; }

 private:
  void accept() {
    acceptor_.async_accept(strands_->next(),
                           [self = shared_from_this()](ErrorCode ec, Socket socket) {
                             self->on_accept(ec, std::move(socket));
                           });
  }

  void on_accept(ErrorCode ec, Socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // Out of file descriptors and the like: back off instead of spinning.
      TLOG(warn, "mqtt") << "accept failed" << log::kv("listener", kind_)
                         << log::kv("error", ec.message());
      retry_.expires_after(std::chrono::milliseconds(100));
      retry_.async_wait([self = shared_from_this()](ErrorCode e) {
        if (!e) self->accept();
      });
      return;
    }
    Strand strand = socket.get_executor();
    broker_.accept(factory_(std::move(socket)), std::move(strand));
    accept();
  }

  void accept_plain() {
    if (!acceptor_.is_open()) return;
    int listening = acceptor_.native_handle();
    for (int i = 0; i < accepts_per_wake; ++i) {
      int fd = ::accept4(listening, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          if (waiting_) return;
          waiting_ = true;
          acceptor_.async_wait(tcp::acceptor::wait_read, [self = shared_from_this()](ErrorCode e) {
            self->waiting_ = false;
            if (!e) self->accept_plain();
          });
          // Nothing is missed in between: Asio queues a wait with
          // EPOLL_CTL_MOD, which reports a socket that is already readable.
          return;
        }
        // Out of file descriptors and the like: back off instead of spinning.
        TLOG(warn, "mqtt") << "accept failed" << log::kv("listener", kind_)
                           << log::kv("error", std::strerror(errno));
        retry_.expires_after(std::chrono::milliseconds(100));
        retry_.async_wait([self = shared_from_this()](ErrorCode e) {
          if (!e) self->accept_plain();
        });
        return;
      }
      broker_.accept(fd, strands_->next());
    }
    // More may be waiting: let other handlers on this thread run first.
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] { self->accept_plain(); });
  }

  void enable_tcp_option(int name, ErrorCode& ec) {
    int one = 1;
    if (::setsockopt(acceptor_.native_handle(), IPPROTO_TCP, name, &one, sizeof one) != 0) {
      ec = ErrorCode(errno, boost::system::system_category());
    }
  }

  static constexpr int accepts_per_wake = 64;

  Broker& broker_;
  std::shared_ptr<StrandPool> strands_;
  std::string kind_;
  Factory factory_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_;
  bool waiting_ = false;  // plain TCP: a wait for the next connection is queued
  uint16_t port_ = 0;
};

Listeners::Listeners(asio::io_context& io, Broker& broker, ListenerOptions options)
    : io_(io),
      broker_(broker),
      options_(std::move(options)),
      strands_(std::make_shared<StrandPool>(io)) {}

Listeners::~Listeners() {
  stop();
}

Status Listeners::start() {
  if (options_.tls.enabled() && (options_.tls_port || options_.wss_port)) {
    auto ctx = make_server_tls_context(options_.tls);
    if (!ctx) return ctx.error();
    tls_ = *ctx;
  }
  WebSocketOptions ws{options_.ws_path};
  auto tls = tls_;
  std::vector<std::tuple<std::string, uint16_t, Acceptor::Factory>> wanted;
  if (options_.tcp_port) {
    wanted.emplace_back("tcp", options_.tcp_port, Acceptor::Factory{});  // plain TCP: see Acceptor
  }
  if (options_.ws_port) {
    wanted.emplace_back("ws", options_.ws_port,
                        [ws](Socket s) { return make_ws_transport(std::move(s), ws); });
  }
  if (tls && options_.tls_port) {
    wanted.emplace_back("tls", options_.tls_port,
                        [tls](Socket s) { return make_tls_transport(std::move(s), *tls); });
  }
  if (tls && options_.wss_port) {
    wanted.emplace_back("wss", options_.wss_port,
                        [tls, ws](Socket s) { return make_wss_transport(std::move(s), *tls, ws); });
  }
  for (auto& [kind, port, factory] : wanted) {
    auto a = std::make_shared<Acceptor>(io_, broker_, strands_, kind, std::move(factory));
    if (auto st = a->open(options_.bind, port); !st) return st.error();
    acceptors_.push_back(a);
  }
  for (auto& a : acceptors_) {
    a->start();
    TLOG(info, "mqtt") << "listening" << log::kv("transport", a->kind())
                       << log::kv("address", options_.bind) << log::kv("port", a->port());
  }
  return Ok{};
}

void Listeners::stop() {
  for (auto& a : acceptors_) a->stop();
  acceptors_.clear();
}

std::vector<Listeners::Bound> Listeners::bound() const {
  std::vector<Bound> out;
  for (const auto& a : acceptors_) out.push_back({a->kind(), a->port()});
  return out;
}

}  // namespace trellis::mqtt
