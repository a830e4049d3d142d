#pragma once
// One client connection: reads bytes from its transport, decodes packets,
// applies the MQTT 3.1.1 server rules, and writes what its session has to
// send. Everything runs on the connection's strand.
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/mqtt/broker.hpp"
#include "adapters/mqtt/codec.hpp"
#include "adapters/mqtt/session.hpp"
#include "adapters/mqtt/transport.hpp"
#include "adapters/mqtt/write_batch.hpp"

namespace trellis::mqtt {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Broker& broker, std::unique_ptr<Transport> transport, Strand strand);
  ~Connection();

  void start();
  // Closes from another thread (takeover, REST disconnect, shutdown). The will
  // is published: the client did not send DISCONNECT.
  void kick(std::string reason);

  ClientInfo info() const;  // call on the strand or accept a racy snapshot
  const std::string& client_id() const { return client_id_; }

 private:
  void on_handshake(ErrorCode ec);
  void do_read();
  void on_read(ErrorCode ec, std::size_t n);
  bool handle(Packet& packet);  // false: the connection was closed

  bool on_connect(Connect& c);
  void on_publish(Publish& p);
  void on_subscribe(const Subscribe& s);
  void on_unsubscribe(const Unsubscribe& u);

  void send(const Packet& packet);
  void send_outgoing(const std::vector<Outgoing>& items);
  void pump();
  void start_write();
  void on_write(ErrorCode ec, std::size_t n);

  void arm_timer(std::chrono::steady_clock::duration after);
  void on_timer(ErrorCode ec);

  // Ends the connection once: publishes the will unless the client sent
  // DISCONNECT. `politely` uses the transport's closing handshake (bounded
  // in time) where the stream is still healthy.
  void close(const char* reason, bool publish_will, bool politely = false);

  Broker& broker_;
  std::unique_ptr<Transport> transport_;
  Strand strand_;
  boost::asio::steady_timer timer_;
  Decoder decoder_;
  std::size_t read_size_;  // bytes asked of the next read

  bool connected_ = false;  // CONNECT accepted
  bool closed_ = false;
  bool writing_ = false;
  bool close_after_write_ = false;  // a refusing CONNACK is being written
  std::string client_id_;
  std::string username_;
  bool clean_session_ = true;
  uint16_t keepalive_ = 0;
  int64_t connected_at_ms_ = 0;
  std::optional<Will> will_;
  Principal principal_;
  std::shared_ptr<Session> session_;
  std::chrono::steady_clock::time_point last_rx_;

  WriteBatch queued_;         // being filled
  WriteBatch writing_batch_;  // on the wire
  std::vector<boost::asio::const_buffer> write_buffers_;
};

}  // namespace trellis::mqtt
