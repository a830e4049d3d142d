#pragma once
// One client connection: reads bytes from its transport, decodes packets,
// applies the MQTT 3.1.1 server rules, and writes what its session has to
// send. Everything runs on the connection's strand.
#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "adapters/mqtt/broker.hpp"
#include "adapters/mqtt/codec.hpp"
#include "adapters/mqtt/readiness.hpp"
#include "adapters/mqtt/session.hpp"
#include "adapters/mqtt/transport.hpp"
#include "adapters/mqtt/write_batch.hpp"
#include "core/backlog.hpp"

namespace trellis::mqtt {

class Connection final : public SessionOwner,
                         public ReadinessWaiter,
                         public std::enable_shared_from_this<Connection> {
 public:
  Connection(Broker& broker, std::unique_ptr<Transport> transport, Strand strand);
  // A plain TCP socket (non-blocking), watched by the broker's Readiness
  // rather than Asio's reactor: an idle connection then holds no pending
  // operation.
  Connection(Broker& broker, int fd, Strand strand);
  ~Connection();

  void start();
  // Closes from another thread (takeover, REST disconnect). The will
  // is published: the client did not send DISCONNECT.
  void kick(std::string reason);
  // Server shutdown, from another thread: as kick, but plain TCP first handles
  // what the socket already holds (bounded); TLS and WebSocket close at once.
  void shut_down();
  // From another thread: asks ClientEvents::connected again whether this
  // client counts toward a device (one was registered under its client id).
  void recount_presence();

  // From the session, on any thread: there are messages to send. Woken while
  // a plain TCP connection on this thread handles a read, it writes right
  // after that read; otherwise the write is posted to its strand.
  void wake() override;
  // From Readiness: the socket can be read or written.
  void on_ready() override;

  ClientInfo info() const;  // on the strand
  // Off the strand (Broker::clients()): `session` is the one the broker's
  // entry holds for this connection, read under the broker's lock, because
  // session_ is assigned on the strand after the entry. The other fields read
  // are set before the entry is and then stay, but for the socket, which may
  // be closing.
  ClientInfo info(const Session* session) const;
  // Empty until CONNECT is accepted.
  const std::string& client_id() const;

 private:
  // Plain TCP, on the strand: reads what is there, then hands the socket to
  // the broker's Readiness.
  void watch();
  void on_handshake(ErrorCode ec);
  void do_read();
  void on_read(ErrorCode ec, std::size_t n);
  // TLS and WebSocket at shutdown: true when a read goes on (or is given a
  // moment) to take what the client sent before the signal; the read or a
  // short timer then closes the connection.
  bool read_rest_at_shutdown(bool reads_were_paused);
  // Plain TCP: writes and reads what the socket takes and holds, without
  // waiting.
  void on_readable();
  void drain();
  // Reads and handles up to `max_reads` socket reads without waiting; true
  // when more may be waiting.
  bool read_now(int max_reads);
  void drained();
  bool consume_batched(ErrorCode ec, std::size_t n);
  // Runs `handle` (false: closed) and writes its answers in one batch at the end.
  template <typename Handle>
  bool with_writes_held(Handle&& handle);
  // Stops reading until `backlog` drains: TCP then holds the client back.
  void pause_reads(Backlog& backlog);
  void resume_reads();
  void flush();
  // Writes what the socket takes; true once the batch is written, false when
  // the socket would block or `ec` is set.
  bool write_some(ErrorCode& ec);
  // Decodes and handles `n` bytes just read; false: the connection was closed.
  bool consume(ErrorCode ec, std::size_t n);
  // Handles the complete packets buffered, until a pause; false: closed.
  bool handle_buffered();
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

  using Timer =
      boost::asio::basic_waitable_timer<std::chrono::steady_clock,
                                        boost::asio::wait_traits<std::chrono::steady_clock>,
                                        boost::asio::io_context::executor_type>;
  // Bytes waiting to be written and the write on the wire. Made on the first
  // send and dropped once everything is written, for the same reason.
  struct Writes {
    WriteBatch queued;   // being filled
    WriteBatch writing;  // on the wire
    std::vector<boost::asio::const_buffer> buffers;
    // Plain TCP: where the socket stopped taking bytes.
    std::size_t next_buffer = 0;
    std::size_t offset = 0;  // into buffers[next_buffer]
    std::size_t written = 0;
  };

  Timer& timer();
  void cancel_timer();
  void arm_timer(std::chrono::steady_clock::duration after);
  void on_timer(ErrorCode ec);

  // Ends the connection once: publishes the will unless the client sent
  // DISCONNECT. `politely` uses the transport's closing handshake (bounded
  // in time) where the stream is still healthy.
  void close(const char* reason, bool publish_will, bool politely = false);
  void close_stream(bool politely);

  const char* kind() const;
  std::string remote() const;
  ClientInfo info(std::string remote, const Session* session) const;

  Broker& broker_;
  std::unique_ptr<Transport> transport_;  // null for plain TCP
  std::atomic<int> fd_{-1};  // plain TCP only; atomic: /clients reads it off the strand
  Strand strand_;
  // Made when first needed and dropped when not: most connections are idle
  // and have no keepalive.
  std::unique_ptr<Timer> timer_;
  Decoder decoder_;
  std::size_t read_size_;  // bytes asked of the next read

  bool connected_ = false;  // CONNECT accepted
  bool closed_ = false;
  bool writing_ = false;
  bool flushing_ = false;        // in flush(): a new batch waits for its loop
  bool holding_writes_ = false;  // in with_writes_held(): one write at the end
  std::atomic<bool> ready_queued_{false};
  bool close_after_write_ = false;  // a refusing CONNACK is being written
  bool reads_paused_ = false;       // see pause_reads
  bool shutting_down_ = false;      // nothing pauses it any more
  bool read_in_flight_ = false;     // TLS and WebSocket
  bool counts_as_device_ = false;   // toward a device's presence (ClientEvents)
  int shutdown_reads_left_ = 0;
  bool clean_session_ = true;
  uint16_t keepalive_ = 0;
  int64_t connected_at_ms_ = 0;
  std::unique_ptr<Will> will_;  // most clients have none
  std::shared_ptr<const Principal> principal_;
  std::shared_ptr<Session> session_;  // its client id is this connection's
  std::chrono::steady_clock::time_point last_rx_;

  std::unique_ptr<Writes> writes_;
};

}  // namespace trellis::mqtt
