#include "webapi/http_server.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>
#include <mutex>

#include "core/log.hpp"
#include "core/metrics.hpp"
#include "webapi/api.hpp"
#include "webapi/command_service.hpp"
#include "webapi/errors.hpp"
#include "webapi/query.hpp"

namespace trellis::webapi {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

// One connection: read a request, hand it to the Api, write the answer, and
// again while the client keeps the connection alive. Everything runs on the
// connection's strand; the Api's reply is dispatched back onto it.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, std::shared_ptr<const Api> api, const HttpServerOptions& opts,
          Counter& requests, Counter& errors)
      : stream_(std::move(socket)),
        api_(std::move(api)),
        opts_(opts),
        requests_(requests),
        errors_(errors) {}

  void run() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::do_read, shared_from_this()));
  }

  // From any thread: ends the connection (server stop).
  void close() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      self->stream_.close();
    });
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->body_limit(opts_.max_body_size);
    stream_.expires_after(opts_.idle_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
        ec == beast::error::timeout || ec == net::error::connection_reset ||
        ec == net::error::eof) {
      return do_close();
    }
    if (ec == http::error::body_limit) {
      return send_error(
          413, code::payload_too_large,
          "the request body is larger than " + std::to_string(opts_.max_body_size) + " bytes",
          false);
    }
    if (ec) {
      // The stream is out of step with the client: answer and close.
      return send_error(400, code::bad_request, "malformed HTTP request: " + ec.message(), false);
    }
    auto msg = parser_->release();
    requests_.add();
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();
    head_ = msg.method() == http::verb::head;

    Request req;
    req.method = std::string(msg.method_string());
    const auto [path, query] = split_target(msg.target());
    req.path = std::string(path);
    auto q = parse_query(query);
    if (!q) return send_error(400, code::bad_request, q.error().message, keep_alive_);
    req.query = std::move(*q);
    for (const auto& f : msg) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers[std::move(name)] = std::string(f.value());
    }
    req.body = std::move(msg.body());
    TLOG(debug, "http") << "request" << log::kv("method", req.method) << log::kv("path", req.path);
    // The reply holds the session: while an answer is awaited (an LwM2M
    // command, say) no socket operation is pending to keep it alive.
    api_->handle(std::move(req), [self = shared_from_this()](Response r) {
      auto ex = self->stream_.get_executor();
      net::dispatch(
          ex, [self = std::move(self), r = std::move(r)]() mutable { self->send(std::move(r)); });
    });
  }

  void send_error(unsigned status, std::string_view c, const std::string& message,
                  bool keep_alive) {
    keep_alive_ = keep_alive;
    send(error_response(status, c, message));
  }

  void send(Response r) {
    if (r.status >= 400) errors_.add();
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), version_);
    res->set(http::field::server, "trellis/" TRELLIS_VERSION);
    if (r.status != 204) res->set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) res->set(k, v);
    res->keep_alive(keep_alive_);
    if (r.status != 204) {
      res->body() = std::move(r.body);
      res->prepare_payload();
      if (head_) res->body().clear();  // Content-Length stays that of the GET
    }
    res_ = res;
    stream_.expires_after(opts_.idle_timeout);
    http::async_write(stream_, *res,
                      beast::bind_front_handler(&Session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    res_.reset();
    if (ec) return do_close();
    if (!keep_alive_) return do_close();
    do_read();
  }

  void do_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<const Api> api_;
  const HttpServerOptions& opts_;
  Counter& requests_;
  Counter& errors_;
  std::shared_ptr<void> res_;
  bool keep_alive_ = true;
  bool head_ = false;
  unsigned version_ = 11;
};

}  // namespace

// Accepts connections and starts a Session for each; remembers them so stop()
// can close the ones still open.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& io, std::shared_ptr<const Api> api, const HttpServerOptions& opts,
           Metrics& metrics)
      : io_(io),
        acceptor_(net::make_strand(io)),
        api_(std::move(api)),
        opts_(opts),
        requests_(metrics.counter("trellis_http_requests_total", "HTTP requests received")),
        errors_(metrics.counter("trellis_http_errors_total",
                                "HTTP answers with a 4xx or 5xx status")) {}

  Status open(const std::string& bind, uint16_t port) {
    beast::error_code ec;
    const auto addr = net::ip::make_address(bind == "localhost" ? "127.0.0.1" : bind, ec);
    if (ec) return make_error("bad_address", "http.bind '" + bind + "' is not an IP address");
    const tcp::endpoint ep(addr, port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return make_error("bind_failed", "HTTP cannot listen on " + bind + ":" +
                                           std::to_string(port) + ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint(ec).port();
    return Ok{};
  }

  void run() { do_accept(); }

  void stop() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      self->acceptor_.close(ec);
    });
    std::lock_guard lock(mu_);
    for (auto& w : sessions_) {
      if (auto s = w.lock()) s->close();
    }
    sessions_.clear();
  }

  uint16_t port() const { return port_; }

 private:
  void do_accept() {
    acceptor_.async_accept(net::make_strand(io_),
                           beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
  }

  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      TLOG(warn, "http") << "accept failed" << log::kv("error", ec.message());
    } else {
      auto s = std::make_shared<Session>(std::move(socket), api_, opts_, requests_, errors_);
      {
        std::lock_guard lock(mu_);
        std::erase_if(sessions_, [](const std::weak_ptr<Session>& w) { return w.expired(); });
        sessions_.push_back(s);
      }
      s->run();
    }
    do_accept();
  }

  net::io_context& io_;
  tcp::acceptor acceptor_;
  std::shared_ptr<const Api> api_;
  const HttpServerOptions& opts_;
  Counter& requests_;
  Counter& errors_;
  uint16_t port_ = 0;
  std::mutex mu_;
  std::vector<std::weak_ptr<Session>> sessions_;
};

HttpServer::HttpServer(net::io_context& io, HttpServerOptions options, Services services)
    : io_(io), options_(std::move(options)) {
  CommandOptions co;
  co.timeout = options_.command_timeout;
  co.max_backlog_bytes = options_.command_backlog_bytes;
  commands_ = std::make_shared<CommandService>(io_, services.bus, services.db, services.metrics, co,
                                               services.lwm2m_commands);
  auto& metrics = services.metrics;
  api_ = std::make_shared<Api>(options_, std::move(services), commands_);
  listener_ = std::make_shared<Listener>(io_, api_, options_, metrics);
}

HttpServer::~HttpServer() = default;

Status HttpServer::start() {
  auto s = listener_->open(options_.bind, options_.port);
  if (!s) return s;
  commands_->start();
  listener_->run();
  TLOG(info, "http") << "listening" << log::kv("bind", options_.bind)
                     << log::kv("port", listener_->port())
                     << log::kv("auth", api_->auth_required() ? "api key" : "none");
  return Ok{};
}

void HttpServer::stop() {
  listener_->stop();
  commands_->stop();
}

uint16_t HttpServer::port() const {
  return listener_->port();
}

}  // namespace trellis::webapi
