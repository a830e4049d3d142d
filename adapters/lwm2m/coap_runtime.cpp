#include "adapters/lwm2m/coap_runtime.hpp"

#include <arpa/inet.h>
#include <sys/epoll.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <mutex>

#include "core/log.hpp"

namespace trellis::lwm2m {

uint16_t retransmissions_within(std::chrono::milliseconds wait) {
  // libcoap takes 1 at least (it ignores 0).
  uint16_t n = 1;
  while (n < 4 && std::chrono::milliseconds(3000) * ((2 << n) - 1) < wait) ++n;
  return n;
}

namespace {

namespace asio = boost::asio;

constexpr const char* kLog = "lwm2m";
// Passes over the descriptor before yielding to other work on the strand,
// and events taken per pass.
constexpr int kMaxPassesPerWakeup = 64;
constexpr int kEventsPerPass = 64;

constexpr std::chrono::milliseconds kAckTimeout{2000};  // see retransmissions_within
constexpr std::chrono::seconds kExchangeLifetime{247};  // RFC 7252 4.8.2

// --- libcoap's log, routed into ours ---

void coap_log_to_trellis(coap_log_t level, const char* message) noexcept {
  std::string_view text(message);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  if (level <= LOG_ERR) {
    TLOG_LIMITED(error, "libcoap") << text;
  } else if (level == LOG_WARNING) {
    TLOG_LIMITED(warn, "libcoap") << text;
  } else if (level <= LOG_INFO) {
    TLOG(debug, "libcoap") << text;
  } else {
    TLOG(trace, "libcoap") << text;
  }
}

void init_libcoap() {
  static std::once_flag once;
  std::call_once(once, [] {
    coap_startup();
    coap_set_log_handler(coap_log_to_trellis);
    // libcoap formats every line it might print, so only ask for what we show.
    coap_log_t level = LOG_WARNING;
    if (log::enabled(log::Level::trace)) {
      level = LOG_DEBUG;
    } else if (log::enabled(log::Level::debug)) {
      level = LOG_INFO;
    }
    coap_set_log_level(level);
    coap_dtls_set_log_level(level);
  });
}

CoapRuntime* runtime_of(coap_session_t* session) {
  return static_cast<CoapRuntime*>(coap_get_app_data(coap_session_get_context(session)));
}

std::string option_text(const coap_opt_t* opt) {
  return std::string(reinterpret_cast<const char*>(coap_opt_value(opt)), coap_opt_length(opt));
}

std::vector<std::string> options(const coap_pdu_t* pdu, uint16_t number) {
  std::vector<std::string> out;
  coap_opt_filter_t filter;
  coap_option_filter_clear(&filter);
  coap_option_filter_set(&filter, number);
  coap_opt_iterator_t it;
  coap_option_iterator_init(pdu, &it, &filter);
  while (const coap_opt_t* opt = coap_option_next(&it)) out.push_back(option_text(opt));
  return out;
}

std::optional<uint32_t> uint_option(const coap_pdu_t* pdu, uint16_t number) {
  coap_opt_iterator_t it;
  const coap_opt_t* opt = coap_check_option(pdu, number, &it);
  if (!opt) return std::nullopt;
  return coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt));
}

std::string payload_of(const coap_pdu_t* pdu) {
  size_t len = 0;
  const uint8_t* data = nullptr;
  size_t offset = 0;
  size_t total = 0;
  if (!coap_get_data_large(pdu, &len, &data, &offset, &total) || !data) return {};
  return std::string(reinterpret_cast<const char*>(data), len);
}

std::string token_of(const coap_pdu_t* pdu) {
  const coap_bin_const_t t = coap_pdu_get_token(pdu);
  return std::string(reinterpret_cast<const char*>(t.s), t.length);
}

// --- request handlers on our resources ---
//
// libcoap calls these from C frames, which an exception must not unwind
// through: the server's handlers survive their own exceptions
// (survive_throw), so what could still escape is running out of memory,
// and noexcept makes that a clean stop.

void on_request(coap_resource_t*, coap_session_t* session, const coap_pdu_t* request,
                const coap_string_t*, coap_pdu_t* response) noexcept {
  CoapRuntime* rt = runtime_of(session);
  IncomingRequest in;
  in.session = session;
  in.method = static_cast<Method>(coap_pdu_get_code(request));
  in.uri_path = options(request, COAP_OPTION_URI_PATH);
  in.uri_query = options(request, COAP_OPTION_URI_QUERY);
  if (const auto cf = uint_option(request, COAP_OPTION_CONTENT_FORMAT)) {
    in.content_format = static_cast<uint16_t>(*cf);
  }
  in.payload = payload_of(request);
  const bool confirmable = coap_pdu_get_type(request) == COAP_MESSAGE_CON;
  const coap_mid_t mid = coap_pdu_get_mid(request);
  const std::string token = token_of(request);
  std::optional<OutgoingResponse> again;
  if (confirmable) again = rt->answered_before(session, mid, token);
  OutgoingResponse out = again ? std::move(*again) : rt->handlers().request(in);
  if (confirmable && !again) rt->remember_answer(session, mid, token, out);
  coap_pdu_set_code(response, static_cast<coap_pdu_code_t>(out.code));
  for (const auto& seg : out.location_path) {
    coap_add_option(response, COAP_OPTION_LOCATION_PATH, seg.size(),
                    reinterpret_cast<const uint8_t*>(seg.data()));
  }
  if (!out.diagnostic.empty()) {
    coap_add_data(response, out.diagnostic.size(),
                  reinterpret_cast<const uint8_t*>(out.diagnostic.data()));
  }
}

// --- responses to our requests ---

coap_response_t on_response(coap_session_t* session, const coap_pdu_t*, const coap_pdu_t* received,
                            const coap_mid_t) noexcept {
  const auto code = static_cast<uint8_t>(coap_pdu_get_code(received));
  if (code == 0) return COAP_RESPONSE_OK;  // an empty ACK: the answer comes later
  CoapResponse rsp;
  rsp.code = code;
  if (const auto cf = uint_option(received, COAP_OPTION_CONTENT_FORMAT)) {
    rsp.content_format = static_cast<uint16_t>(*cf);
  }
  rsp.observe = uint_option(received, COAP_OPTION_OBSERVE);
  rsp.payload = payload_of(received);
  rsp.location_path = options(received, COAP_OPTION_LOCATION_PATH);
  const bool ok = runtime_of(session)->handlers().response(session, token_of(received), rsp);
  return ok ? COAP_RESPONSE_OK : COAP_RESPONSE_FAIL;
}

void on_nack(coap_session_t* session, const coap_pdu_t* sent, const coap_nack_reason_t reason,
             const coap_mid_t) noexcept {
  if (!sent) return;
  const std::string token = token_of(sent);
  if (token.empty()) return;
  const char* why = "no answer";
  switch (reason) {
    case COAP_NACK_TOO_MANY_RETRIES:
      why = "no acknowledgement after every retransmission";
      break;
    case COAP_NACK_NOT_DELIVERABLE:
      why = "not deliverable";
      break;
    case COAP_NACK_RST:
      why = "the client answered with a reset";
      break;
    case COAP_NACK_TLS_FAILED:
      why = "the DTLS session failed";
      break;
    case COAP_NACK_ICMP_ISSUE:
      why = "ICMP error from the client's address";
      break;
    default:
      break;
  }
  runtime_of(session)->handlers().failure(token, reason == COAP_NACK_RST, why);
}

int on_coap_event(coap_session_t* session, const coap_event_t event) noexcept {
  runtime_of(session)->on_event(session, static_cast<int>(event));
  return 0;
}

const coap_bin_const_t* on_psk_identity(coap_bin_const_t* identity, coap_session_t* session,
                                        void*) noexcept {
  CoapRuntime* rt = runtime_of(session);
  const std::string id(reinterpret_cast<const char*>(identity->s), identity->length);
  auto key = rt->handlers().psk(id);
  if (!key || key->empty()) return nullptr;
  return rt->remember_psk(std::move(*key));
}

int on_certificate(const char* cn, const uint8_t*, size_t, coap_session_t* session, unsigned depth,
                   int, void*) noexcept {
  // Called for each certificate of the chain; depth 0 is the client's own.
  // Validity is OpenSSL's call (verify_peer_cert); we only remember the name.
  if (depth == 0 && cn) runtime_of(session)->remember_certificate(session, cn);
  return 1;
}

void release_payload(coap_session_t*, void* app_ptr) noexcept {
  delete static_cast<std::string*>(app_ptr);
}

Result<coap_address_t> listen_address(const std::string& bind, uint16_t port) {
  coap_address_t a;
  coap_address_init(&a);
  if (inet_pton(AF_INET, bind.c_str(), &a.addr.sin.sin_addr) == 1) {
    a.addr.sin.sin_family = AF_INET;
    a.addr.sin.sin_port = htons(port);
    a.size = sizeof(a.addr.sin);
    return a;
  }
  std::string v6 = bind;
  if (v6.size() > 2 && v6.front() == '[' && v6.back() == ']') v6 = v6.substr(1, v6.size() - 2);
  if (inet_pton(AF_INET6, v6.c_str(), &a.addr.sin6.sin6_addr) == 1) {
    a.addr.sin6.sin6_family = AF_INET6;
    a.addr.sin6.sin6_port = htons(port);
    a.size = sizeof(a.addr.sin6);
    return a;
  }
  return make_error("lwm2m.bind", "lwm2m.bind: '" + bind + "' is not an IPv4 or IPv6 address");
}

void add_uint_option(coap_pdu_t* pdu, uint16_t number, uint32_t value) {
  uint8_t buf[4];
  const unsigned len = coap_encode_var_safe(buf, sizeof buf, value);
  coap_add_option(pdu, number, len, buf);
}

void add_text_options(coap_pdu_t* pdu, uint16_t number, const std::vector<std::string>& values) {
  for (const auto& v : values) {
    coap_add_option(pdu, number, v.size(), reinterpret_cast<const uint8_t*>(v.data()));
  }
}

}  // namespace

// --- SessionRef ---

SessionRef::SessionRef(coap_session_t* s) : s_(s ? coap_session_reference(s) : nullptr) {}
SessionRef::SessionRef(const SessionRef& other) : SessionRef(other.s_) {}
SessionRef& SessionRef::operator=(const SessionRef& other) {
  if (this != &other) {
    reset();
    s_ = other.s_ ? coap_session_reference(other.s_) : nullptr;
  }
  return *this;
}
SessionRef::SessionRef(SessionRef&& other) noexcept : s_(other.s_) {
  other.s_ = nullptr;
}
SessionRef& SessionRef::operator=(SessionRef&& other) noexcept {
  if (this != &other) {
    reset();
    s_ = other.s_;
    other.s_ = nullptr;
  }
  return *this;
}
SessionRef::~SessionRef() {
  reset();
}
void SessionRef::reset() {
  if (s_) coap_session_release(s_);
  s_ = nullptr;
}

// --- CoapRuntime ---

CoapRuntime::CoapRuntime(Strand strand, Handlers handlers)
    : strand_(strand), handlers_(std::move(handlers)), fd_(strand), timer_(strand) {}

CoapRuntime::~CoapRuntime() {
  stop();
  free_context();
}

Status CoapRuntime::start(const CoapEndpoints& endpoints) {
  init_libcoap();
  endpoints_ = endpoints;  // libcoap keeps pointers to the file names
  const CoapEndpoints& ep = endpoints_;
  ctx_ = coap_new_context(nullptr);
  if (!ctx_) return make_error("lwm2m", "lwm2m: libcoap could not create a context");
  coap_set_app_data(ctx_, this);
  coap_context_set_block_mode(ctx_, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
  coap_register_response_handler(ctx_, on_response);
  coap_register_nack_handler(ctx_, on_nack);
  coap_register_event_handler(ctx_, on_coap_event);

  coap_resource_t* rd = coap_resource_init(coap_make_str_const("rd"), 0);
  coap_register_handler(rd, COAP_REQUEST_POST, on_request);
  coap_add_resource(ctx_, rd);
  // /rd/{id} and everything else: the handler decides, 4.04 for what is not ours.
  coap_resource_t* other = coap_resource_unknown_init2(nullptr, 0);
  for (auto m : {COAP_REQUEST_GET, COAP_REQUEST_POST, COAP_REQUEST_PUT, COAP_REQUEST_DELETE}) {
    coap_register_handler(other, m, on_request);
  }
  coap_add_resource(ctx_, other);

  if (ep.dtls_port != 0) {
    if (!coap_dtls_is_supported()) {
      return make_error("lwm2m.dtls_port", "lwm2m.dtls_port: this libcoap has no DTLS");
    }
    coap_dtls_spsk_t psk{};
    psk.version = COAP_DTLS_SPSK_SETUP_VERSION;
    psk.validate_id_call_back = on_psk_identity;
    if (!coap_context_set_psk2(ctx_, &psk)) {
      return make_error("lwm2m.dtls_port", "lwm2m.dtls_port: libcoap refused the PSK setup");
    }
    if (!ep.cert.empty() || !ep.key.empty()) {
      if (ep.cert.empty() || ep.key.empty()) {
        return make_error("lwm2m.dtls.cert", "lwm2m.dtls.cert and lwm2m.dtls.key go together");
      }
      coap_dtls_pki_t pki{};
      pki.version = COAP_DTLS_PKI_SETUP_VERSION;
      pki.verify_peer_cert = ep.ca.empty() ? 0 : 1;
      pki.cert_chain_validation = 1;
      pki.cert_chain_verify_depth = 3;
      pki.pki_key.key_type = COAP_PKI_KEY_PEM;
      pki.pki_key.key.pem.public_cert = ep.cert.c_str();
      pki.pki_key.key.pem.private_key = ep.key.c_str();
      pki.pki_key.key.pem.ca_file = ep.ca.empty() ? nullptr : ep.ca.c_str();
      pki.validate_cn_call_back = on_certificate;
      if (!coap_context_set_pki(ctx_, &pki)) {
        return make_error("lwm2m.dtls.cert", "lwm2m.dtls.cert: libcoap could not load '" + ep.cert +
                                                 "' / '" + ep.key + "'");
      }
      if (!ep.ca.empty() && !coap_context_set_pki_root_cas(ctx_, ep.ca.c_str(), nullptr)) {
        return make_error("lwm2m.dtls.ca", "lwm2m.dtls.ca: libcoap could not load '" + ep.ca + "'");
      }
    }
  }

  struct Listener {
    uint16_t port;
    coap_proto_t proto;
    const char* key;
  };
  for (const Listener& l : {Listener{ep.coap_port, COAP_PROTO_UDP, "lwm2m.coap_port"},
                            Listener{ep.dtls_port, COAP_PROTO_DTLS, "lwm2m.dtls_port"}}) {
    if (l.port == 0) continue;
    auto addr = listen_address(ep.bind, l.port);
    if (!addr) return addr.error();
    if (!coap_new_endpoint(ctx_, &*addr, l.proto)) {
      return make_error(l.key, std::string(l.key) + ": cannot bind " + ep.bind + ":" +
                                   std::to_string(l.port) + " (UDP)");
    }
    TLOG(info, kLog) << "listening"
                     << log::kv("transport", l.proto == COAP_PROTO_DTLS ? "dtls" : "udp")
                     << log::kv("bind", ep.bind) << log::kv("port", l.port);
  }

  const int fd = coap_context_get_coap_fd(ctx_);
  if (fd < 0) return make_error("lwm2m", "lwm2m: libcoap was built without epoll support");
  fd_.assign(fd);
  asio::post(strand_, [this] { process(); });
  return Ok{};
}

void CoapRuntime::stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ec;
  timer_.cancel();
  if (fd_.is_open()) {
    fd_.cancel(ec);
    fd_.release();  // libcoap owns and closes the descriptor
  }
}

void CoapRuntime::free_context() {
  if (!ctx_) return;
  coap_free_context(ctx_);
  ctx_ = nullptr;
}

void CoapRuntime::arm(bool walk) {
  if (stopped_) return;
  if (!waiting_) {
    waiting_ = true;
    fd_.async_wait(asio::posix::stream_descriptor::wait_read,
                   asio::bind_executor(strand_, [this](boost::system::error_code ec) {
                     waiting_ = false;
                     if (ec || stopped_) return;
                     process();
                   }));
  }
  if (walk) schedule_timer();
}

void CoapRuntime::process() {
  if (stopped_ || !ctx_) return;
  // libcoap's steps for an outside event loop. coap_io_do_epoll ends with a
  // walk over every session (what is due, and its timer descriptor set for
  // the next thing), which with thousands of clients is most of its cost:
  // no second walk after it, as coap_io_process would add before each pass.
  const int fd = coap_context_get_coap_fd(ctx_);
  epoll_event events[kEventsPerPass];
  bool walked = false;
  for (int pass = 0; pass < kMaxPassesPerWakeup; ++pass) {
    // One datagram per socket event is read: ask again until nothing is left.
    const int n = ::epoll_wait(fd, events, kEventsPerPass, 0);
    // Woken by our timer with nothing to read: walk now for what is due.
    if (n <= 0) return arm(!walked);
    coap_io_do_epoll(ctx_, events, static_cast<std::size_t>(n));
    walked = true;
  }
  asio::post(strand_, [this] { process(); });  // let other work on the strand run
}

void CoapRuntime::schedule_timer() {
  coap_tick_t now;
  coap_ticks(&now);
  const unsigned ms = coap_io_prepare_epoll(ctx_, now);
  if (ms == 0) return;  // nothing due: the descriptor wakes us
  timer_.expires_after(std::chrono::milliseconds(ms));
  timer_.async_wait(asio::bind_executor(strand_, [this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    process();
  }));
}

void CoapRuntime::wake_within(std::chrono::milliseconds d) {
  const auto now = std::chrono::steady_clock::now();
  if (timer_.expiry() > now && timer_.expiry() <= now + d) return;
  timer_.expires_at(now + d);
  timer_.async_wait(asio::bind_executor(strand_, [this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    process();
  }));
}

std::optional<OutgoingResponse> CoapRuntime::answered_before(coap_session_t* session,
                                                             coap_mid_t mid,
                                                             const std::string& token) {
  const auto it = answered_.find(session);
  if (it == answered_.end() || it->second.mid != mid || it->second.token != token ||
      std::chrono::steady_clock::now() - it->second.at > kExchangeLifetime) {
    return std::nullopt;
  }
  TLOG(debug, kLog) << "duplicate request answered again" << log::kv("remote", remote(session))
                    << log::kv("mid", mid);
  return it->second.response;
}

void CoapRuntime::remember_answer(coap_session_t* session, coap_mid_t mid, std::string token,
                                  const OutgoingResponse& response) {
  const auto now = std::chrono::steady_clock::now();
  answered_[session] = Answered{mid, std::move(token), response, now};
  // Sessions of clients long gone go with their answers now and then.
  if (++answered_since_prune_ < 1024) return;
  answered_since_prune_ = 0;
  std::erase_if(answered_, [&](const auto& e) { return now - e.second.at > kExchangeLifetime; });
}

void CoapRuntime::on_event(coap_session_t* session, int event) {
  TLOG(trace, kLog) << "coap event" << log::kv("event", event)
                    << log::kv("remote", remote(session));
  if (event == COAP_EVENT_SERVER_SESSION_DEL) answered_.erase(session);
  if (!is_dtls(session)) return;
  // A handshake with a wrong key never completes: OpenSSL drops the records it
  // cannot decrypt (RFC 6347, 4.1.2.7) and the session ends without ever
  // connecting. Count every server session that ends that way, once.
  switch (event) {
    case COAP_EVENT_SERVER_SESSION_NEW:
      handshaking_.insert(session);
      break;
    case COAP_EVENT_DTLS_CONNECTED:
      handshaking_.erase(session);
      break;
    case COAP_EVENT_DTLS_ERROR:
    case COAP_EVENT_DTLS_CLOSED:
      if (handshaking_.erase(session)) handlers_.dtls_failed(session);
      break;
    case COAP_EVENT_SERVER_SESSION_DEL:
      if (handshaking_.erase(session)) handlers_.dtls_failed(session);
      certificate_names_.erase(session);
      break;
    default:
      break;
  }
}

void CoapRuntime::remember_certificate(coap_session_t* session, std::string name) {
  certificate_names_[session] = std::move(name);
}

std::optional<std::string> CoapRuntime::peer_identity(coap_session_t* session) const {
  if (auto psk = psk_identity(session)) return "psk:" + *psk;
  const auto it = certificate_names_.find(session);
  if (it != certificate_names_.end()) return "x509:" + it->second;
  return std::nullopt;
}

const coap_bin_const_t* CoapRuntime::remember_psk(std::string key) {
  psk_key_ = std::move(key);
  psk_bin_.s = reinterpret_cast<const uint8_t*>(psk_key_.data());
  psk_bin_.length = psk_key_.size();
  return &psk_bin_;
}

namespace {

coap_pdu_t* build_pdu(coap_session_t* session, const CoapRequest& r, const std::string& token) {
  coap_pdu_t* pdu = coap_pdu_init(COAP_MESSAGE_CON, static_cast<coap_pdu_code_t>(r.method),
                                  coap_new_message_id(session), coap_session_max_pdu_size(session));
  if (!pdu) return nullptr;
  coap_add_token(pdu, token.size(), reinterpret_cast<const uint8_t*>(token.data()));
  // Options in ascending number order (RFC 7252, 3.1).
  if (r.observe) add_uint_option(pdu, COAP_OPTION_OBSERVE, *r.observe);
  add_text_options(pdu, COAP_OPTION_URI_PATH, r.uri_path);
  if (r.content_format) add_uint_option(pdu, COAP_OPTION_CONTENT_FORMAT, *r.content_format);
  add_text_options(pdu, COAP_OPTION_URI_QUERY, r.uri_query);
  if (r.accept) add_uint_option(pdu, COAP_OPTION_ACCEPT, *r.accept);
  return pdu;
}

}  // namespace

Status CoapRuntime::send(coap_session_t* session, const CoapRequest& r, const std::string& token) {
  if (!ctx_ || stopped_) return make_error("stopped", "the LwM2M server is stopping");
  coap_pdu_t* pdu = build_pdu(session, r, token);
  if (!pdu) return make_error("coap_pdu", "libcoap could not allocate a PDU");
  if (!r.payload.empty()) {
    // libcoap sends it block-wise (RFC 7959) when it does not fit one PDU.
    auto* body = new std::string(r.payload);
    if (!coap_add_data_large_request(session, pdu, body->size(),
                                     reinterpret_cast<const uint8_t*>(body->data()),
                                     release_payload, body)) {
      coap_delete_pdu(pdu);
      return make_error("coap_pdu", "libcoap could not attach the payload");
    }
  }
  // Retransmissions stop within the time the server waits for the answer:
  // none reaches a client after its request was reported as failed.
  coap_session_set_max_retransmit(session, retransmissions_within(endpoints_.answer_wait));
  if (coap_send(session, pdu) == COAP_INVALID_MID) {
    return make_error("coap_send", "libcoap could not send the request");
  }
  // libcoap arms its own timer descriptor for the first retransmission only
  // when that is sooner than the deadline it last set, which may lie in the
  // past: with another request waiting, the resend came only when something
  // else woke the loop. Wake by the earliest it can be due and ask then;
  // asking now would walk every session once per request.
  wake_within(kAckTimeout);
  return Ok{};
}

Status CoapRuntime::cancel_observe(coap_session_t* session, const CoapRequest& r,
                                   const std::string& token) {
  if (!ctx_ || stopped_) return make_error("stopped", "the LwM2M server is stopping");
  coap_binary_t tok{token.size(), reinterpret_cast<uint8_t*>(const_cast<char*>(token.data()))};
  // libcoap tracks observations it sent and builds the cancel itself; when it
  // no longer knows the token, send the same request by hand.
  if (coap_cancel_observe(session, &tok, COAP_MESSAGE_CON)) return Ok{};
  return send(session, r, token);
}

bool CoapRuntime::is_dtls(coap_session_t* session) {
  return coap_session_get_proto(session) == COAP_PROTO_DTLS;
}

std::string CoapRuntime::remote(coap_session_t* session) {
  char buf[INET6_ADDRSTRLEN + 16];
  const size_t n = coap_print_addr(coap_session_get_addr_remote(session),
                                   reinterpret_cast<unsigned char*>(buf), sizeof buf);
  return std::string(buf, n);
}

std::optional<std::string> CoapRuntime::psk_identity(coap_session_t* session) {
  if (!is_dtls(session)) return std::nullopt;
  const coap_bin_const_t* id = coap_session_get_psk_identity(session);
  if (!id || !id->s) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(id->s), id->length);
}

}  // namespace trellis::lwm2m
