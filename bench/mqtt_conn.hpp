#pragma once
// One MQTT client connection for the benchmarks: connects, frames the
// incoming byte stream into packets and keeps one write in flight with a
// buffer filling behind it, so that many small packets leave in one syscall.
// It knows the fixed header only: each bench encodes and decodes the packets
// it needs itself (loadgen with the project's codec, the standalone benches
// with raw_mqtt.hpp). Single-threaded: every handler runs on the one
// io_context thread.
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace trellis::bench {

class Conn {
 public:
  // `first_byte` is the fixed header's first byte (type and flags), `body`
  // the variable header and payload; the view is valid during the call only.
  using PacketHandler = std::function<void(uint8_t first_byte, std::string_view body)>;
  using ErrorHandler = std::function<void(const boost::system::error_code&, const char* where)>;

  // Idle and connection-rate runs hold thousands of connections: they ask for a small buffer.
  Conn(boost::asio::io_context& io, std::size_t read_buffer) : sock_(io), rbuf_(read_buffer) {}
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  PacketHandler on_packet;
  ErrorHandler on_error;
  std::function<void()> on_connected;  // TCP up: queue the CONNECT here
  std::function<void()> on_drained;    // a write finished and nothing is queued
  // Every whole packet of one read has been handed out: what their handlers
  // queued (acknowledgements, say) can leave together.
  std::function<void()> on_read;

  void connect(const boost::asio::ip::tcp::endpoint& ep) {
    sock_.async_connect(ep, [this](const boost::system::error_code& ec) {
      if (ec) return fail(ec, "connect");
      // Latency rows compare against Mosquitto with set_tcp_nodelay: no Nagle on either side.
      boost::system::error_code ignored;
      sock_.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
      if (on_connected) on_connected();
      do_read();
    });
  }

  // Bytes appended here leave with the next flush().
  std::string& out() { return out_; }
  std::size_t queued() const { return out_.size() + wbuf_.size(); }
  bool writing() const { return writing_; }

  void send(std::string_view bytes) {
    out_.append(bytes);
    flush();
  }

  void flush() {
    if (writing_ || out_.empty() || closed_) return;
    writing_ = true;
    wbuf_.swap(out_);
    out_.clear();
    boost::asio::async_write(sock_, boost::asio::buffer(wbuf_),
                             [this](const boost::system::error_code& ec, std::size_t) {
                               writing_ = false;
                               wbuf_.clear();
                               if (ec) return fail(ec, "write");
                               if (!out_.empty()) return flush();
                               if (close_pending_) return close();
                               if (on_drained) on_drained();
                             });
  }

  // Closes after what is queued has left (used after DISCONNECT).
  void close_after_flush() {
    close_pending_ = true;
    if (!writing_ && out_.empty()) close();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    sock_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    sock_.close(ignored);
  }

  bool closed() const { return closed_; }

 private:
  void fail(const boost::system::error_code& ec, const char* where) {
    if (closed_) return;
    close();
    if (on_error) on_error(ec, where);
  }

  void do_read() {
    if (rlen_ == rbuf_.size()) rbuf_.resize(rbuf_.size() * 2);
    sock_.async_read_some(boost::asio::buffer(rbuf_.data() + rlen_, rbuf_.size() - rlen_),
                          [this](const boost::system::error_code& ec, std::size_t n) {
                            if (ec) return fail(ec, "read");
                            rlen_ += n;
                            if (!parse()) return;
                            if (on_read) on_read();
                            if (close_pending_ && !writing_ && out_.empty()) return close();
                            if (!closed_) do_read();
                          });
  }

  // Hands out every whole packet in the buffer; false when the stream is bad.
  bool parse() {
    std::size_t pos = 0;
    while (rlen_ - pos >= 2) {
      // Remaining Length: 1 to 4 bytes, 7 bits each, high bit = more (2.2.3).
      std::size_t rem = 0;
      std::size_t i = 1;
      unsigned shift = 0;
      bool complete = false;
      for (; i < 5 && pos + i < rlen_; ++i, shift += 7) {
        auto b = static_cast<uint8_t>(rbuf_[pos + i]);
        rem |= static_cast<std::size_t>(b & 0x7f) << shift;
        if (!(b & 0x80)) {
          complete = true;
          ++i;
          break;
        }
      }
      if (!complete) {
        if (i >= 5) {
          fail(boost::asio::error::invalid_argument, "remaining length");
          return false;
        }
        break;
      }
      if (rlen_ - pos < i + rem) {
        if (i + rem > rbuf_.size()) rbuf_.resize(i + rem);
        break;
      }
      if (on_packet) {
        on_packet(static_cast<uint8_t>(rbuf_[pos]), std::string_view(rbuf_.data() + pos + i, rem));
      }
      if (closed_) return false;
      pos += i + rem;
    }
    if (pos > 0) {
      std::memmove(rbuf_.data(), rbuf_.data() + pos, rlen_ - pos);
      rlen_ -= pos;
    }
    return true;
  }

  boost::asio::ip::tcp::socket sock_;
  std::vector<char> rbuf_;
  std::size_t rlen_ = 0;
  std::string out_;   // filling
  std::string wbuf_;  // in flight
  bool writing_ = false;
  bool closed_ = false;
  bool close_pending_ = false;
};

}  // namespace trellis::bench
