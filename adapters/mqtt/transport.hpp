#pragma once
// The byte stream under an MQTT connection: TLS, WebSocket or WebSocket over
// TLS. The connection speaks MQTT without knowing which; each transport only
// moves bytes. All calls happen on the connection's strand. (Plain TCP has no
// transport object: the connection reads and writes its socket itself, woken
// by the broker's Readiness; see readiness.hpp.)
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace trellis::mqtt {

using ErrorCode = boost::system::error_code;
// Each connection's socket has its strand as executor, so every completion,
// also inside TLS and WebSocket composed operations and behind the type-erased
// handlers below, runs on that strand. Both are named by their concrete types
// rather than any_io_executor: every pending operation copies the executor,
// and a type-erased strand costs a heap allocation per copy.
using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
using Socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, Strand>;
using IoHandler = std::function<void(ErrorCode, std::size_t)>;

class Transport {
 public:
  virtual ~Transport() = default;

  // The TLS and/or WebSocket handshake.
  virtual void handshake(std::function<void(ErrorCode)> done) = 0;
  virtual void read_some(boost::asio::mutable_buffer into, IoHandler done) = 0;
  // Writes every buffer (one WebSocket message for WebSocket transports).
  virtual void write(const std::vector<boost::asio::const_buffer>& buffers, IoHandler done) = 0;
  // Closes at once; pending operations complete with an error.
  virtual void close() = 0;
  // Ends the stream with its closing handshake where it has one (a WebSocket
  // close frame, so browsers see a clean close), then closes; `done` runs
  // when that is over. The caller bounds the wait by calling close().
  virtual void close_politely(std::function<void()> done) {
    close();
    done();
  }

  // Bytes the kernel holds for this connection that no read has taken yet.
  virtual std::size_t input_waiting() = 0;

  virtual std::string remote() const = 0;  // "ip:port"
  virtual const char* kind() const = 0;    // "tcp", "tls", "ws", "wss"
};

struct WebSocketOptions {
  std::string path = "/mqtt";
};

std::unique_ptr<Transport> make_tls_transport(Socket socket, boost::asio::ssl::context& tls);
std::unique_ptr<Transport> make_ws_transport(Socket socket, const WebSocketOptions& options);
std::unique_ptr<Transport> make_wss_transport(Socket socket, boost::asio::ssl::context& tls,
                                              const WebSocketOptions& options);

}  // namespace trellis::mqtt
