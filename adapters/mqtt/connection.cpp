#include "adapters/mqtt/connection.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <random>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/log.hpp"
#include "core/topic.hpp"

namespace trellis::mqtt {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// Reads start small and double while they come back full, so an idle
// connection holds a small buffer and a busy one reads in large gulps.
constexpr std::size_t min_read = 512;
constexpr std::size_t max_read = 64 * 1024;
// Reads in a row before other connections on the thread get their turn.
constexpr int max_reads_per_wake = 16;
// Reads at shutdown: enough for what a socket buffer holds, without waiting
// on a client that keeps sending.
constexpr int max_reads_at_shutdown = 64;
// How long a TLS or WebSocket read in flight at shutdown may take to complete:
// enough for a completion already queued, short for an idle client.
constexpr auto last_read_grace = std::chrono::milliseconds(50);
// Messages taken from the session per write: bounds the batch a slow reader
// can pin in memory while keeping writes large.
constexpr std::size_t pump_batch = 256;
// How long a polite close waits for the peer's part of the closing handshake.
constexpr auto polite_close_limit = std::chrono::seconds(2);
// Buffers handed to one sendmsg.
constexpr std::size_t iovecs_per_write = 128;

ErrorCode last_error() {
  return ErrorCode(errno, boost::system::system_category());
}

bool would_block() {
  return errno == EAGAIN || errno == EWOULDBLOCK;
}

std::string peer_text(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "?";
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (addr.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    port = ntohs(in6->sin6_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

std::string generated_client_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char digits[] = "0123456789abcdef";
  std::string id = "trellis-";
  for (int i = 0; i < 16; ++i) id += digits[rng() % 16];
  return id;
}

// While a connection handles what it read (see with_writes_held), the
// connections its messages wake on this thread are listed here; null otherwise.
thread_local std::vector<std::shared_ptr<Connection>>* woken_by_this_read = nullptr;

// Lists the connections woken while it lives; nests.
class WokenByRead {
 public:
  WokenByRead() : outer_(std::exchange(woken_by_this_read, &woken_)) {}
  // If handling threw, the woken are still woken, the usual way.
  ~WokenByRead() {
    woken_by_this_read = outer_;
    for (auto& c : woken_) c->wake();
  }
  WokenByRead(const WokenByRead&) = delete;
  WokenByRead& operator=(const WokenByRead&) = delete;

  std::vector<std::shared_ptr<Connection>> take() {
    woken_by_this_read = outer_;
    return std::exchange(woken_, {});
  }

 private:
  std::vector<std::shared_ptr<Connection>> woken_;
  std::vector<std::shared_ptr<Connection>>* outer_;
};

}  // namespace

Connection::Connection(Broker& broker, std::unique_ptr<Transport> transport, Strand strand)
    : broker_(broker),
      transport_(std::move(transport)),
      strand_(std::move(strand)),
      decoder_(broker.options().max_packet_size),
      read_size_(min_read) {}

Connection::Connection(Broker& broker, int fd, Strand strand)
    : broker_(broker),
      fd_(fd),
      strand_(std::move(strand)),
      decoder_(broker.options().max_packet_size),
      read_size_(min_read) {}

Connection::~Connection() {
  if (fd_ >= 0) ::close(fd_);  // never watched: Readiness::add failed
}

const std::string& Connection::client_id() const {
  static const std::string none;
  return session_ ? session_->client_id() : none;
}

const char* Connection::kind() const {
  return transport_ ? transport_->kind() : "tcp";
}

std::string Connection::remote() const {
  return transport_ ? transport_->remote() : peer_text(fd_);
}

void Connection::start() {
  last_rx_ = Clock::now();
  // A client that never completes its handshake and CONNECT is dropped.
  arm_timer(broker_.options().connect_timeout);
  if (!transport_) {
    asio::dispatch(strand_, [self = shared_from_this()] { self->watch(); });
    return;
  }
  transport_->handshake(asio::bind_executor(
      strand_, [self = shared_from_this()](ErrorCode ec) { self->on_handshake(ec); }));
}

void Connection::watch() {
  // The listener defers accepting until the client has sent something, so the
  // CONNECT is usually here already: reading it now saves a wake-up.
  on_readable();
  if (closed_) return;
  // Last: from here on the socket's wake-ups run on the strand. A byte that
  // came after the read above is reported by the first wake-up.
  if (!broker_.readiness().add(fd_, shared_from_this())) {
    ErrorCode ec = last_error();  // before logging can touch errno
    TLOG(warn, "mqtt") << "cannot watch socket" << log::kv("error", ec.message());
    close("cannot watch socket", false);
  }
}

void Connection::on_handshake(ErrorCode ec) {
  if (closed_) return;
  if (ec) {
    TLOG(debug, "mqtt") << "handshake failed" << log::kv("remote", remote())
                        << log::kv("transport", kind()) << log::kv("error", ec.message());
    close("handshake failed", false);
    return;
  }
  do_read();
}

void Connection::kick(std::string reason) {
  asio::post(strand_, [self = shared_from_this(), reason = std::move(reason)] {
    self->close(reason.c_str(), true, true);
  });
}

void Connection::recount_presence() {
  // On the strand, so the answer is ordered with this connection's own close.
  asio::post(strand_, [self = shared_from_this()] {
    const auto& connected = self->broker_.events().connected;
    if (!self->connected_ || self->counts_as_device_ || !connected) return;
    self->counts_as_device_ = connected(self->info(), *self->principal_);
  });
}

void Connection::shut_down() {
  asio::post(strand_, [self = shared_from_this()] {
    // What the kernel already took from the client was sent before the client
    // could know of the shutdown; a QoS 0 publish in it is handled, not lost,
    // even when a full backlog had paused this client.
    self->shutting_down_ = true;
    const bool reads_were_paused = std::exchange(self->reads_paused_, false);
    if (self->closed_ || !self->handle_buffered()) return;
    if (self->transport_) {
      if (self->read_rest_at_shutdown(reads_were_paused)) return;
    } else if (self->read_now(max_reads_at_shutdown)) {
      TLOG(debug, "mqtt") << "client still sending at shutdown"
                          << log::kv("client", self->client_id());
    }
    self->close("server shutting down", true, true);
  });
}

void Connection::wake() {
  if (woken_by_this_read) {
    woken_by_this_read->push_back(shared_from_this());
    return;
  }
  asio::post(strand_, [self = shared_from_this()] { self->pump(); });
}

void Connection::on_ready() {
  // Edges that come while one wake-up waits for the strand add nothing.
  if (ready_queued_.exchange(true, std::memory_order_acq_rel)) return;
  // Runs at once when the strand is free: the wake-up is on an io thread.
  asio::dispatch(strand_, [self = shared_from_this()] { self->on_readable(); });
}

bool Connection::read_rest_at_shutdown(bool reads_were_paused) {
  if (read_in_flight_) {
    // The read may have taken the client's last bytes from the kernel already,
    // its completion on the way: it gets a moment before the close cuts it.
    shutdown_reads_left_ = max_reads_at_shutdown;
    timer().expires_after(last_read_grace);
    timer().async_wait(asio::bind_executor(strand_, [self = shared_from_this()](ErrorCode ec) {
      if (!ec && !self->closed_) self->close("server shutting down", true, true);
    }));
    return true;
  }
  // Neither reading nor held back: still in its TLS or WebSocket handshake.
  if (!reads_were_paused || transport_->input_waiting() == 0) return false;
  shutdown_reads_left_ = max_reads_at_shutdown;
  do_read();
  return true;
}

void Connection::do_read() {
  read_in_flight_ = true;
  transport_->read_some(
      asio::buffer(decoder_.prepare(read_size_), read_size_),
      asio::bind_executor(strand_, [self = shared_from_this()](ErrorCode ec, std::size_t n) {
        self->on_read(ec, n);
      }));
}

void Connection::on_readable() {
  ready_queued_.store(false, std::memory_order_release);
  if (closed_) return;
  if (writing_ && !flushing_) flush();
  drain();
}

void Connection::drain() {
  // More may be waiting: carry on after the other handlers on this strand.
  if (read_now(max_reads_per_wake)) {
    asio::post(strand_, [self = shared_from_this()] { self->drain(); });
  }
}

bool Connection::read_now(int max_reads) {
  // After a refusing CONNACK nothing more is read; while paused, resume_reads reads.
  if (closed_ || close_after_write_ || reads_paused_) return false;
  for (int reads = 0; reads < max_reads; ++reads) {
    std::size_t asked = read_size_;
    ssize_t n = ::recv(fd_, decoder_.prepare(asked), asked, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && would_block()) {
      drained();
      return false;
    }
    ErrorCode ec = n < 0 ? last_error() : n == 0 ? ErrorCode(asio::error::eof) : ErrorCode();
    if (!consume_batched(ec, n < 0 ? 0 : std::size_t(n)) || reads_paused_) return false;
    // A short read emptied the socket: more bytes bring a new wake-up.
    if (std::size_t(n) < asked) {
      drained();
      return false;
    }
  }
  return true;
}

void Connection::drained() {
  // A quiet connection holds no read buffer.
  if (read_size_ == min_read) decoder_.shrink_to(0);
}

bool Connection::consume_batched(ErrorCode ec, std::size_t n) {
  return with_writes_held([&] { return consume(ec, n); });
}

template <typename Handle>
bool Connection::with_writes_held(Handle&& handle) {
  // What the packets handled answer (PUBACKs, say) goes out in one write,
  // after the first subscriber they woke has been written to. That one is
  // written here rather than posted: a posted write waits behind a poll of
  // the reactor and the re-arming of the wait, three system calls between
  // reading a message and writing it. The others are posted, so that the
  // I/O threads share a fan-out.
  bool open;
  std::vector<std::shared_ptr<Connection>> woken;
  {
    WokenByRead collect;
    holding_writes_ = true;
    // Released however handle() ends: a connection left holding would never write again.
    struct Release {
      bool& flag;
      ~Release() { flag = false; }
    } release{holding_writes_};
    open = handle();
    woken = collect.take();
  }
  for (std::size_t i = 0; i < woken.size(); ++i) {
    auto pump = [c = woken[i]] { c->pump(); };
    // At once, unless another thread holds that connection's strand.
    if (i == 0) {
      asio::dispatch(woken[i]->strand_, std::move(pump));
    } else {
      asio::post(woken[i]->strand_, std::move(pump));
    }
  }
  if (!closed_) start_write();
  return open && !closed_;
}

void Connection::on_read(ErrorCode ec, std::size_t n) {
  read_in_flight_ = false;
  if (closed_) return;
  const bool open = consume(ec, n);
  if (shutting_down_) {
    if (!open || closed_) return;
    if (--shutdown_reads_left_ > 0 && transport_->input_waiting() > 0) return do_read();
    return close("server shutting down", true, true);
  }
  if (open && !reads_paused_) do_read();
}

void Connection::pause_reads(Backlog& backlog) {
  if (reads_paused_ || shutting_down_) return;
  reads_paused_ = true;
  broker_.counters().reads_paused.add();
  // Runs on the thread that drains the backlog (or here, if it already has).
  backlog.on_drained([weak = weak_from_this()] {
    if (auto self = weak.lock()) {
      asio::post(self->strand_, [self] { self->resume_reads(); });
    }
  });
}

void Connection::resume_reads() {
  if (!reads_paused_) return;
  reads_paused_ = false;
  if (closed_) return;
  // Not hearing from the client meanwhile was this side's doing.
  last_rx_ = Clock::now();
  // The packets read before the pause come first; they may pause it again.
  if (!with_writes_held([this] { return handle_buffered(); }) || reads_paused_) return;
  if (transport_) {
    do_read();
  } else {
    drain();  // what came while paused brought no wake-up of its own
  }
}

bool Connection::consume(ErrorCode ec, std::size_t n) {
  if (ec) {
    close(ec == asio::error::eof ? "connection closed by client" : "read error", true);
    return false;
  }
  decoder_.commit(n);
  broker_.counters().bytes_received.add(n);
  last_rx_ = Clock::now();
  if (!handle_buffered()) return false;
  if (n == read_size_ && read_size_ < max_read) {
    read_size_ *= 2;
  } else if (n < read_size_ / 4 && read_size_ > min_read) {
    read_size_ /= 2;
    decoder_.shrink_to(read_size_);
  }
  return true;
}

bool Connection::handle_buffered() {
  // A pause leaves the rest buffered: the backlog grows by one message per
  // client past its limit, not by a whole read.
  while (!reads_paused_) {
    DecodeResult r = decoder_.next();
    if (r.is_incomplete()) break;
    if (r.is_error()) {
      broker_.counters().protocol_errors.add();
      TLOG(info, "mqtt") << "malformed packet, closing" << log::kv("client", client_id())
                         << log::kv("remote", remote()) << log::kv("error", r.error.code)
                         << log::kv("detail", r.error.message);
      close("malformed packet", true);
      return false;
    }
    broker_.counters().messages_received.add();
    if (!handle(r.packet)) return false;
  }
  return true;
}

bool Connection::handle(Packet& packet) {
  if (!connected_ && !std::holds_alternative<Connect>(packet)) {
    close("first packet was not CONNECT", false);
    return false;
  }
  switch (packet_type(packet)) {
    case PacketType::connect:
      if (connected_) {
        close("second CONNECT", true);
        return false;
      }
      return on_connect(std::get<Connect>(packet));
    case PacketType::publish:
      on_publish(std::get<Publish>(packet));
      break;
    case PacketType::puback:
      if (session_->on_puback(std::get<Puback>(packet).packet_id)) pump();
      break;
    case PacketType::pubrec: {
      uint16_t id = std::get<Pubrec>(packet).packet_id;
      session_->on_pubrec(id);
      // Answer even an unknown id so the client's flow can finish (4.3.3).
      send(Pubrel{id});
      break;
    }
    case PacketType::pubrel: {
      uint16_t id = std::get<Pubrel>(packet).packet_id;
      session_->release_inbound_qos2(id);
      send(Pubcomp{id});
      break;
    }
    case PacketType::pubcomp:
      if (session_->on_pubcomp(std::get<Pubcomp>(packet).packet_id)) pump();
      break;
    case PacketType::subscribe:
      on_subscribe(std::get<Subscribe>(packet));
      break;
    case PacketType::unsubscribe:
      on_unsubscribe(std::get<Unsubscribe>(packet));
      break;
    case PacketType::pingreq:
      send(Pingresp{});
      break;
    case PacketType::disconnect:
      close("client sent DISCONNECT", false, true);
      return false;
    default:
      // CONNACK, SUBACK, UNSUBACK, PINGRESP go only from server to client.
      broker_.counters().protocol_errors.add();
      close("server-only packet from client", true);
      return false;
  }
  return !closed_;
}

bool Connection::on_connect(Connect& c) {
  auto refuse = [&](uint8_t code, const char* why) {
    send(Connack{false, code});
    TLOG(info, "mqtt") << "connect refused" << log::kv("client", c.client_id)
                       << log::kv("remote", remote()) << log::kv("code", int(code))
                       << log::kv("reason", why);
    // Close once the CONNACK is on the wire; until then read nothing more.
    close_after_write_ = true;
    start_write();
    return false;
  };

  bool v311 = c.protocol_name == "MQTT" && c.protocol_level == protocol_level_3_1_1;
  bool v31 = c.protocol_name == "MQIsdp" && c.protocol_level == protocol_level_3_1;
  if (!v311 && !v31) {
    return refuse(connack_code::unacceptable_protocol_version, "unsupported protocol level");
  }
  if (c.client_id.empty()) {
    if (!c.clean_session) {
      return refuse(connack_code::identifier_rejected, "empty client id with clean session 0");
    }
    // MQTT 3.1 requires 1 to 23 characters; only 3.1.1 lets the server assign one.
    if (v31) return refuse(connack_code::identifier_rejected, "empty client id in MQTT 3.1");
    c.client_id = generated_client_id();
  }

  // Asked once: for a plain socket each call is a system call.
  std::string peer = remote();
  ConnectCredentials creds{"mqtt", c.client_id, c.username, c.password, peer};
  AuthOutcome auth = broker_.authenticate(creds);
  if (auth.status != AuthStatus::accepted) {
    broker_.counters().auth_failures.add();
    return refuse(auth.status == AuthStatus::bad_credentials
                      ? connack_code::bad_username_or_password
                      : connack_code::not_authorized,
                  "authentication failed");
  }
  if (c.will && (topic::is_system(c.will->topic) ||
                 !auth.principal.may_publish(c.will->topic, c.client_id))) {
    return refuse(connack_code::not_authorized, "will topic not allowed");
  }
  if (broker_.options().max_connections &&
      broker_.connection_count() > broker_.options().max_connections) {
    return refuse(connack_code::server_unavailable, "connection limit reached");
  }

  clean_session_ = c.clean_session;
  keepalive_ = c.keepalive;
  if (c.will) will_ = std::make_unique<Will>(std::move(*c.will));
  principal_ = broker_.share(std::move(auth.principal));
  connected_ = true;
  connected_at_ms_ = now_ms();

  auto opened = broker_.open_session(c.client_id, clean_session_, shared_from_this());
  session_ = opened.session;
  // MQTT 3.1 has no session present flag: that CONNACK byte is reserved there.
  send(Connack{opened.present && v311, connack_code::accepted});
  auto resend = session_->attach(shared_from_this(), principal_);
  send_outgoing(resend);
  pump();

  TLOG(debug, "mqtt") << "client connected" << log::kv("client", client_id())
                      << log::kv("remote", peer) << log::kv("transport", kind())
                      << log::kv("clean", clean_session_) << log::kv("keepalive", keepalive_);
  if (broker_.events().connected) {
    counts_as_device_ =
        broker_.events().connected(info(std::move(peer), session_.get()), *principal_);
  }

  // Keep alive 0 turns the check off; otherwise 1.5 x keep alive (3.1.2.10).
  if (keepalive_ > 0) {
    arm_timer(std::chrono::milliseconds(keepalive_ * 1500));
  } else {
    timer_.reset();  // cancels the CONNECT deadline
  }
  return true;
}

void Connection::on_publish(Publish& p) {
  auto& counters = broker_.counters();
  counters.publish_received.add();
  counters.publish_bytes_received.add(p.payload.size());
  bool allowed = !topic::is_system(p.topic) && principal_->may_publish(p.topic, client_id());
  // A QoS 2 id is recorded only once its message is published, so a save that
  // holds the id also holds the message in every subscriber's session
  // (Broker::snapshot_sessions reads the ids first).
  const bool fresh = p.qos != 2 || !session_->inbound_qos2_pending(p.packet_id);
  if (!allowed) {
    counters.publish_denied.add();
    TLOG(debug, "mqtt") << "publish denied" << log::kv("client", client_id())
                        << log::kv("topic", p.topic);
  } else if (fresh) {
    auto msg = std::make_shared<Message>();
    msg->topic = std::move(p.topic);
    msg->payload = make_payload(std::move(p.payload));
    msg->qos = p.qos;
    msg->retain = p.retain;
    msg->origin = Origin::mqtt;
    msg->client_id = client_id();
    msg->time_ms = now_ms();
    // Telemetry that went to a full backlog pauses this client once the bytes
    // already read are handled; nothing it sent is dropped.
    if (Backlog* full = Backlog::pushed_back_by([&] { broker_.bus().publish(msg); })) {
      pause_reads(*full);
    }
  }
  if (p.qos == 1) send(Puback{p.packet_id});
  if (p.qos == 2) {
    session_->begin_inbound_qos2(p.packet_id);
    send(Pubrec{p.packet_id});
  }
}

void Connection::on_subscribe(const Subscribe& s) {
  Suback ack{s.packet_id, {}};
  ack.return_codes.reserve(s.topics.size());
  for (const auto& t : s.topics) {
    if (!principal_->may_subscribe(t.filter, client_id())) {
      ack.return_codes.push_back(suback_failure);
      continue;
    }
    // Retained messages join the session's queue in the same step as the
    // subscription (see Bus::subscribe), with RETAIN set. The queue is only
    // pumped after this handler, so they follow the SUBACK (3.3.1.3).
    broker_.bus().subscribe(session_, t.filter, t.qos, [&](const MessagePtr& m) {
      session_->deliver_retained(m, std::min(m->qos, t.qos));
    });
    session_->set_subscription(t.filter, t.qos);
    ack.return_codes.push_back(t.qos);
  }
  send(ack);
}

void Connection::on_unsubscribe(const Unsubscribe& u) {
  for (const auto& f : u.filters) {
    broker_.bus().unsubscribe(session_.get(), f);
    session_->remove_subscription(f);
  }
  send(Unsuback{u.packet_id});
}

void Connection::send(const Packet& packet) {
  if (!writes_) writes_ = std::make_unique<Writes>();
  encode_to(packet, writes_->queued.bytes());
  broker_.counters().messages_sent.add();
  start_write();
}

void Connection::send_outgoing(const std::vector<Outgoing>& items) {
  if (items.empty()) return;
  if (!writes_) writes_ = std::make_unique<Writes>();
  WriteBatch& queued = writes_->queued;
  auto& counters = broker_.counters();
  for (const auto& o : items) {
    if (!o.msg) {
      encode_to(Pubrel{o.packet_id}, queued.bytes());
    } else {
      queued.append(encode_publish_header(o.msg->topic, o.qos, o.retain, o.dup, o.packet_id,
                                          o.msg->body().size()));
      queued.append_payload(o.msg->payload);
      counters.publish_sent.add();
      counters.publish_bytes_sent.add(o.msg->body().size());
    }
  }
  counters.messages_sent.add(items.size());
}

void Connection::pump() {
  if (closed_ || !session_) return;
  // While a write is on the wire, leave messages queued in the session: that
  // queue is bounded, so a slow reader costs a bounded amount of memory.
  if (writing_) return;
  send_outgoing(session_->take_sendable(this, pump_batch));
  start_write();
}

void Connection::start_write() {
  if (writing_ || holding_writes_ || !writes_ || writes_->queued.empty()) return;
  writing_ = true;
  writes_->writing.swap(writes_->queued);
  writes_->writing.buffers(writes_->buffers);
  if (!transport_) {
    writes_->next_buffer = writes_->offset = writes_->written = 0;
    // Within flush() its loop writes the new batch: no recursion per batch.
    if (!flushing_) flush();
    return;
  }
  transport_->write(
      writes_->buffers,
      asio::bind_executor(strand_, [self = shared_from_this()](ErrorCode ec, std::size_t n) {
        self->on_write(ec, n);
      }));
}

void Connection::on_write(ErrorCode ec, std::size_t n) {
  writing_ = false;
  writes_->writing.clear();
  broker_.counters().bytes_sent.add(n);
  if (ec) {
    close("write error", true);
    return;
  }
  if (closed_) return;
  if (close_after_write_) {
    close("connect refused", false, true);
    return;
  }
  pump();
  start_write();
  if (!writing_) writes_.reset();
}

void Connection::flush() {
  flushing_ = true;
  while (writing_ && !closed_) {
    ErrorCode ec;
    // Would block: the next wake-up resumes.
    if (!write_some(ec) && !ec) break;
    on_write(ec, writes_->written);
  }
  flushing_ = false;
}

bool Connection::write_some(ErrorCode& ec) {
  Writes& w = *writes_;
  for (;;) {
    iovec iov[iovecs_per_write];
    std::size_t count = 0;
    for (std::size_t i = w.next_buffer; i < w.buffers.size() && count < iovecs_per_write; ++i) {
      std::size_t skip = i == w.next_buffer ? w.offset : 0;
      iov[count].iov_base = const_cast<char*>(static_cast<const char*>(w.buffers[i].data())) + skip;
      iov[count].iov_len = w.buffers[i].size() - skip;
      ++count;
    }
    if (count == 0) return true;
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = count;
    ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (!would_block()) ec = last_error();
      return false;
    }
    w.written += std::size_t(n);
    std::size_t left = std::size_t(n);
    while (left > 0) {
      std::size_t rest = w.buffers[w.next_buffer].size() - w.offset;
      if (left < rest) {
        w.offset += left;
        break;
      }
      left -= rest;
      w.offset = 0;
      ++w.next_buffer;
    }
    // Skip empty buffers so that count == 0 means done.
    while (w.next_buffer < w.buffers.size() && w.buffers[w.next_buffer].size() == 0) {
      ++w.next_buffer;
    }
  }
}

Connection::Timer& Connection::timer() {
  if (!timer_) timer_ = std::make_unique<Timer>(strand_.get_inner_executor());
  return *timer_;
}

void Connection::cancel_timer() {
  if (timer_) timer_->cancel();
}

void Connection::arm_timer(Clock::duration after) {
  timer().expires_after(after);
  timer().async_wait(asio::bind_executor(
      strand_, [self = shared_from_this()](ErrorCode ec) { self->on_timer(ec); }));
}

void Connection::on_timer(ErrorCode ec) {
  if (ec || closed_) return;
  if (!connected_) {
    close("no CONNECT in time", false);
    return;
  }
  // A deadline that fired just as CONNECT arrived and turned the check off.
  if (keepalive_ == 0) return;
  auto limit = std::chrono::milliseconds(keepalive_ * 1500);
  if (reads_paused_) {
    arm_timer(limit);  // its PINGREQs wait unread; resume_reads restarts the count
    return;
  }
  auto idle = Clock::now() - last_rx_;
  if (idle >= limit) {
    TLOG(info, "mqtt") << "keepalive expired" << log::kv("client", client_id())
                       << log::kv("keepalive", keepalive_);
    close("keepalive expired", true);
    return;
  }
  arm_timer(limit - idle);
}

void Connection::close(const char* reason, bool publish_will, bool politely) {
  if (closed_) return;
  closed_ = true;
  cancel_timer();
  close_stream(politely);
  broker_.counters().connected_for(kind()).sub();
  if (connected_) {
    connected_ = false;
    if (publish_will && will_) {
      auto msg = make_message(will_->topic, std::move(will_->payload), will_->qos, will_->retain,
                              Origin::mqtt, client_id());
      broker_.bus().publish(msg);
    }
    will_.reset();
    broker_.close_session(session_, this);
    // Only now: tests and operators take this line to mean the session is detached.
    TLOG(debug, "mqtt") << "client disconnected" << log::kv("client", client_id())
                        << log::kv("reason", reason);
    // Also after a takeover: presence counts connections, and the new one was
    // counted when it connected, so the device stays online through it.
    if (counts_as_device_ && broker_.events().disconnected) {
      broker_.events().disconnected(client_id(), *principal_);
    }
  }
  broker_.connection_closed(this);
}

void Connection::close_stream(bool politely) {
  if (!transport_) {
    broker_.readiness().close(fd_);
    fd_ = -1;
    return;
  }
  if (!politely) {
    transport_->close();
    return;
  }
  auto self = shared_from_this();
  timer().expires_after(polite_close_limit);
  timer().async_wait(asio::bind_executor(strand_, [self](ErrorCode ec) {
    if (!ec) self->transport_->close();
  }));
  // TLS finishes at once, which cancels the timer just armed.
  transport_->close_politely(asio::bind_executor(strand_, [self] { self->cancel_timer(); }));
}

ClientInfo Connection::info() const {
  return info(remote(), session_.get());
}

ClientInfo Connection::info(const Session* session) const {
  return info(remote(), session);
}

ClientInfo Connection::info(std::string remote, const Session* session) const {
  ClientInfo i;
  if (session) i.client_id = session->client_id();
  i.protocol = "mqtt";
  i.transport = kind();
  i.remote = std::move(remote);
  i.state = "connected";  // listed only while connected; MQTT-SN and LwM2M clients also sleep
  if (principal_) i.username = principal_->username;
  i.clean_session = clean_session_;
  i.keepalive = keepalive_;
  i.connected_at_ms = connected_at_ms_;
  if (session) {
    i.subscriptions = session->subscription_count();
    i.queued = session->queued();
    i.inflight = session->inflight();
  }
  return i;
}

}  // namespace trellis::mqtt
