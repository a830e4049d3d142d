#pragma once
// The libcoap side of the LwM2M server: one coap_context_t with its UDP and
// DTLS endpoints, driven from Asio by the context's epoll descriptor and a
// timer for retransmissions. libcoap 4.3.1 is not thread-safe, so everything
// here, the handlers it calls included, runs on the strand given at
// construction; start() may also run before the io_context does.
#include <coap3/coap.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "adapters/lwm2m/command.hpp"
#include "adapters/lwm2m/reply.hpp"
#include "core/result.hpp"

namespace trellis::lwm2m {

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

// Keeps a libcoap session alive (coap_session_reference) while a registration
// uses it. Release only on the strand, and before the context goes away.
class SessionRef {
 public:
  SessionRef() = default;
  explicit SessionRef(coap_session_t* s);
  SessionRef(const SessionRef& other);
  SessionRef& operator=(const SessionRef& other);
  SessionRef(SessionRef&& other) noexcept;
  SessionRef& operator=(SessionRef&& other) noexcept;
  ~SessionRef();

  coap_session_t* get() const { return s_; }
  explicit operator bool() const { return s_ != nullptr; }
  void reset();

 private:
  coap_session_t* s_ = nullptr;
};

struct IncomingRequest {
  coap_session_t* session = nullptr;
  Method method = Method::get;
  std::vector<std::string> uri_path;
  std::vector<std::string> uri_query;
  std::optional<uint16_t> content_format;
  std::string payload;
};

struct OutgoingResponse {
  uint8_t code = 0;
  std::vector<std::string> location_path;
  std::string diagnostic;  // RFC 7252, 5.5.2: why, for a person
};

struct CoapEndpoints {
  std::string bind = "127.0.0.1";
  uint16_t coap_port = 5683;  // 0: off
  uint16_t dtls_port = 5684;  // 0: off
  std::string cert;           // PEM files for certificate mode; empty: PSK only
  std::string key;
  std::string ca;
  // How long the server waits for a client's answer (lwm2m.request_timeout_s):
  // a request is retransmitted only within it.
  std::chrono::milliseconds answer_wait{10000};
};

// The retransmissions of a confirmable request (RFC 7252 4.2) all sent
// within `wait`: with libcoap's ACK_TIMEOUT 2 s and ACK_RANDOM_FACTOR 1.5,
// which this server keeps, retransmission k goes out by 3 s * (2^k - 1); at
// least 1 (libcoap's least), at most MAX_RETRANSMIT (4).
uint16_t retransmissions_within(std::chrono::milliseconds wait);

class CoapRuntime {
 public:
  struct Handlers {
    // A request to one of our resources (/rd, /rd/{id}, anything else).
    std::function<OutgoingResponse(const IncomingRequest&)> request;
    // A response or notification for a token we sent; false answers RST.
    std::function<bool(coap_session_t*, const std::string& token, const CoapResponse&)> response;
    // A request of ours that failed before any response: reset or given up.
    std::function<void(const std::string& token, bool reset, const std::string& why)> failure;
    // The PSK for an identity during a DTLS handshake; nullopt refuses it.
    std::function<std::optional<std::string>(const std::string& identity)> psk;
    // A DTLS session ended before its handshake completed (wrong key,
    // unknown identity, a client that gave up).
    std::function<void(coap_session_t*)> dtls_failed;
  };

  CoapRuntime(Strand strand, Handlers handlers);
  ~CoapRuntime();
  CoapRuntime(const CoapRuntime&) = delete;
  CoapRuntime& operator=(const CoapRuntime&) = delete;

  // Creates the context and binds the endpoints; errors name the config key.
  Status start(const CoapEndpoints& endpoints);
  // Stops waiting on the descriptor; the context is freed by the destructor
  // or free_context(), after every SessionRef is gone.
  void stop();
  void free_context();

  // Sends a confirmable request with our token. Error when the PDU cannot be built.
  Status send(coap_session_t* session, const CoapRequest& request, const std::string& token);
  // Cancels an observation the RFC 7641 way: GET with Observe=1 and the original token.
  Status cancel_observe(coap_session_t* session, const CoapRequest& request,
                        const std::string& token);

  static bool is_dtls(coap_session_t* session);
  static std::string remote(coap_session_t* session);
  // The PSK identity a DTLS session authenticated with, if any.
  static std::optional<std::string> psk_identity(coap_session_t* session);
  // Who is at the other end of a DTLS session: "psk:{identity}" or
  // "x509:{certificate CN}"; nullopt for plain UDP.
  std::optional<std::string> peer_identity(coap_session_t* session) const;

  // --- called by the libcoap callbacks (free functions in the .cpp) ---
  const Handlers& handlers() const { return handlers_; }

  // RFC 7252 4.5: a confirmable request that comes again (the client missed
  // our ACK) gets the same answer and is not acted on twice. The last one of
  // each session is kept, for EXCHANGE_LIFETIME.
  std::optional<OutgoingResponse> answered_before(coap_session_t* session, coap_mid_t mid,
                                                  const std::string& token);
  void remember_answer(coap_session_t* session, coap_mid_t mid, std::string token,
                       const OutgoingResponse& response);
  const coap_bin_const_t* remember_psk(std::string key);
  void on_event(coap_session_t* session, int event);
  void remember_certificate(coap_session_t* session, std::string name);

 private:
  // Waits for the descriptor; `walk` also asks libcoap what is due and when.
  void arm(bool walk = true);
  void process();
  void schedule_timer();
  // Wakes no later than `d` from now (sooner if the timer already would).
  void wake_within(std::chrono::milliseconds d);

  Strand strand_;
  Handlers handlers_;
  CoapEndpoints endpoints_;
  coap_context_t* ctx_ = nullptr;
  boost::asio::posix::stream_descriptor fd_;
  boost::asio::steady_timer timer_;
  bool waiting_ = false;
  bool stopped_ = false;
  std::string psk_key_;         // the last key handed to libcoap, which copies it
  coap_bin_const_t psk_bin_{};  // points into psk_key_
  std::unordered_set<coap_session_t*> handshaking_;  // DTLS server sessions not yet connected
  std::unordered_map<coap_session_t*, std::string> certificate_names_;  // client certificate CNs
  struct Answered {
    coap_mid_t mid;
    std::string token;
    OutgoingResponse response;
    std::chrono::steady_clock::time_point at;
  };
  std::unordered_map<coap_session_t*, Answered> answered_;
  std::size_t answered_since_prune_ = 0;
};

}  // namespace trellis::lwm2m
