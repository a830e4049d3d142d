#include "adapters/mqtt/transport.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <optional>

namespace trellis::mqtt {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

std::string endpoint_text(const Socket& s) {
  ErrorCode ec;
  auto ep = s.remote_endpoint(ec);
  if (ec) return "?";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

Socket& lowest(Socket& s) {
  return s;
}
Socket& lowest(asio::ssl::stream<Socket>& s) {
  return s.next_layer();
}

std::size_t bytes_available(const Socket& s) {
  ErrorCode ec;
  const std::size_t n = s.available(ec);
  return ec ? 0 : n;
}

class TlsTransport final : public Transport {
 public:
  TlsTransport(Socket s, asio::ssl::context& ctx)
      : remote_(endpoint_text(s)), stream_(std::move(s), ctx) {
    ErrorCode ec;
    stream_.next_layer().set_option(tcp::no_delay(true), ec);
  }
  void handshake(std::function<void(ErrorCode)> done) override {
    stream_.async_handshake(asio::ssl::stream_base::server,
                            [done = std::move(done)](ErrorCode ec) { done(ec); });
  }
  void read_some(asio::mutable_buffer into, IoHandler done) override {
    stream_.async_read_some(into, std::move(done));
  }
  void write(const std::vector<asio::const_buffer>& buffers, IoHandler done) override {
    asio::async_write(stream_, buffers, std::move(done));
  }
  void close() override {
    ErrorCode ec;
    stream_.next_layer().close(ec);
  }
  std::size_t input_waiting() override { return bytes_available(stream_.next_layer()); }
  std::string remote() const override { return remote_; }
  const char* kind() const override { return "tls"; }

 private:
  std::string remote_;
  asio::ssl::stream<Socket> stream_;
};

// Picks the MQTT subprotocol from Sec-WebSocket-Protocol: "mqtt" (3.1.1) or
// "mqttv3.1". Empty when the client offered none; nullopt when it offered only
// others.
std::optional<std::string> choose_subprotocol(std::string_view offered) {
  if (offered.empty()) return std::string();
  std::size_t pos = 0;
  while (pos <= offered.size()) {
    std::size_t comma = offered.find(',', pos);
    std::string_view item =
        offered.substr(pos, comma == std::string_view::npos ? comma : comma - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == "mqtt" || item == "mqttv3.1") return std::string(item);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return std::nullopt;
}

template <typename Next>
class WebSocketTransport final : public Transport {
 public:
  template <typename... Args>
  WebSocketTransport(const WebSocketOptions& options, const char* kind, std::string remote,
                     Args&&... args)
      : options_(options),
        kind_(kind),
        remote_(std::move(remote)),
        ws_(std::forward<Args>(args)...) {
    ErrorCode ec;
    lowest(ws_.next_layer()).set_option(tcp::no_delay(true), ec);
    ws_.binary(true);
    ws_.auto_fragment(false);
    // Messages are read piecewise into the MQTT decoder, which bounds every
    // packet by mqtt.max_packet_size; a message may carry several packets, so
    // its own size is not limited (0 = no limit).
    ws_.read_message_max(0);
  }

  void handshake(std::function<void(ErrorCode)> done) override {
    if constexpr (std::is_same_v<Next, asio::ssl::stream<Socket>>) {
      ws_.next_layer().async_handshake(asio::ssl::stream_base::server,
                                       [this, done = std::move(done)](ErrorCode ec) mutable {
                                         if (ec) return done(ec);
                                         read_upgrade(std::move(done));
                                       });
    } else {
      read_upgrade(std::move(done));
    }
  }

  void read_some(asio::mutable_buffer into, IoHandler done) override {
    ws_.async_read_some(into, std::move(done));
  }
  void write(const std::vector<asio::const_buffer>& buffers, IoHandler done) override {
    ws_.async_write(buffers, std::move(done));
  }
  void close() override {
    ErrorCode ec;
    lowest(ws_.next_layer()).close(ec);
  }
  std::size_t input_waiting() override { return bytes_available(lowest(ws_.next_layer())); }
  void close_politely(std::function<void()> done) override {
    if (!ws_.is_open()) {
      close();
      return done();
    }
    // Waits for the peer's close frame; a write still in flight goes first.
    ws_.async_close(websocket::close_code::normal, [this, done = std::move(done)](ErrorCode) {
      close();
      done();
    });
  }
  std::string remote() const override { return remote_; }
  const char* kind() const override { return kind_; }

 private:
  void read_upgrade(std::function<void(ErrorCode)> done) {
    parser_.emplace();
    parser_->body_limit(8192);
    http::async_read(ws_.next_layer(), buffer_, *parser_,
                     [this, done = std::move(done)](ErrorCode ec, std::size_t) mutable {
                       if (ec) return done(ec);
                       accept(parser_->release(), std::move(done));
                     });
  }

  void accept(http::request<http::string_body> req, std::function<void(ErrorCode)> done) {
    auto target = std::string_view(req.target().data(), req.target().size());
    if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
    auto offered = req[http::field::sec_websocket_protocol];
    auto proto = choose_subprotocol(std::string_view(offered.data(), offered.size()));
    if (!websocket::is_upgrade(req) || target != options_.path || !proto) {
      reject(req,
             !websocket::is_upgrade(req) || target != options_.path ? http::status::not_found
                                                                    : http::status::bad_request,
             std::move(done));
      return;
    }
    ws_.set_option(websocket::stream_base::decorator([p = *proto](websocket::response_type& res) {
      res.set(http::field::server, "trellis");
      if (!p.empty()) res.set(http::field::sec_websocket_protocol, p);
    }));
    ws_.async_accept(req, [done = std::move(done)](ErrorCode ec) { done(ec); });
  }

  void reject(const http::request<http::string_body>& req, http::status status,
              std::function<void(ErrorCode)> done) {
    auto res = std::make_shared<http::response<http::string_body>>(status, req.version());
    res->set(http::field::server, "trellis");
    res->set(http::field::content_type, "text/plain");
    res->body() = status == http::status::not_found
                      ? "MQTT over WebSocket is served at " + options_.path + "\n"
                      : std::string("supported subprotocols: mqtt, mqttv3.1\n");
    res->keep_alive(false);
    res->prepare_payload();
    http::async_write(ws_.next_layer(), *res,
                      [res, done = std::move(done)](ErrorCode, std::size_t) {
                        done(websocket::error::no_connection_upgrade);
                      });
  }

  WebSocketOptions options_;
  const char* kind_;
  std::string remote_;
  websocket::stream<Next> ws_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

}  // namespace

std::unique_ptr<Transport> make_tls_transport(Socket socket, asio::ssl::context& tls) {
  return std::make_unique<TlsTransport>(std::move(socket), tls);
}

std::unique_ptr<Transport> make_ws_transport(Socket socket, const WebSocketOptions& options) {
  auto remote = endpoint_text(socket);
  return std::make_unique<WebSocketTransport<Socket>>(options, "ws", std::move(remote),
                                                      std::move(socket));
}

std::unique_ptr<Transport> make_wss_transport(Socket socket, asio::ssl::context& tls,
                                              const WebSocketOptions& options) {
  auto remote = endpoint_text(socket);
  return std::make_unique<WebSocketTransport<asio::ssl::stream<Socket>>>(
      options, "wss", std::move(remote), std::move(socket), tls);
}

}  // namespace trellis::mqtt
