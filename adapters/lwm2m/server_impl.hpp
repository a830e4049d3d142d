#pragma once
// The state behind lwm2m::Server. Everything in Impl lives on `strand`:
// libcoap callbacks, bus commands (posted there), timers. Only `snapshot`
// is read from other threads, under its mutex.
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "adapters/lwm2m/coap_runtime.hpp"
#include "adapters/lwm2m/command.hpp"
#include "adapters/lwm2m/registration.hpp"
#include "adapters/lwm2m/reply.hpp"
#include "adapters/lwm2m/server.hpp"

namespace trellis::lwm2m {

using SteadyClock = std::chrono::steady_clock;

struct ServerCounters {
  explicit ServerCounters(Metrics& m);
  Gauge& clients;
  Counter& registrations;
  Counter& updates;
  Counter& deregistrations;
  Counter& expirations;
  Counter& refused;
  Counter& requests;
  Counter& responses;
  Counter& timeouts;
  Counter& notifications;
  Counter& bad_commands;
  Counter& queued;
  Counter& dtls_failures;
  Counter& handler_exceptions;
};

// An observation the server holds for a client: kept across re-registrations
// and re-established with a new token then.
struct Observation {
  Command command;    // the observe command, echoed in notifications
  std::string token;  // empty until the client accepted it
  // The newest Observe value so far and when it came (RFC 7641 3.4).
  std::optional<uint32_t> last_observe;
  SteadyClock::time_point last_at{};
};

struct QueuedCommand {
  Command command;
  CommandCallbacks callbacks;
};

struct Client {
  std::string endpoint;
  std::string device_id;
  std::string location;  // the id in /rd/{id}
  ClientProfile profile;
  ObjectList objects;
  std::string binding = "U";
  std::optional<std::string> sms;
  bool queue_mode = false;
  std::vector<std::pair<std::string, std::string>> extra;
  int64_t lifetime = 0;

  SessionRef session;  // where requests go: the session the client last spoke on
  std::string transport;
  std::string remote;
  std::optional<std::string> identity;  // "psk:..." or "x509:..." over DTLS

  bool registered = false;
  // The device this registration counts online (DeviceDirectory), told
  // offline once when it ends: a re-registration or a new address does not
  // count it again.
  std::optional<std::string> online_as;
  SteadyClock::time_point expires_at;
  SteadyClock::time_point awake_until;
  int64_t registered_at_ms = 0;
  int64_t updated_at_ms = 0;

  std::map<std::string, Observation> observations;  // by path text
  std::deque<QueuedCommand> queue;
};

// A request sent to a client and not yet answered.
struct Pending {
  std::string endpoint;
  Command command;
  CommandCallbacks callbacks;
  bool cancel = false;  // a cancel-observe, which reuses the observation's token
  std::unique_ptr<boost::asio::steady_timer> timer;
};

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(boost::asio::io_context& io, Bus& bus, Metrics& metrics,
       const objects::ObjectRegistry& objects, ServerOptions options, Authenticator* auth,
       DeviceDirectory* directory);

  Status start();
  void stop();
  void shutdown();  // frees libcoap; only once the io_context no longer runs

  // --- registration interface (registration_interface.cpp) ---
  OutgoingResponse on_coap_request(const IncomingRequest& in);
  OutgoingResponse on_register(const IncomingRequest& in);
  OutgoingResponse on_send(const IncomingRequest& in);
  OutgoingResponse on_update(const IncomingRequest& in, const std::string& location);
  OutgoingResponse on_deregister(const IncomingRequest& in, const std::string& location);
  void after_register(const std::string& endpoint, bool had_observations);
  void finish(const std::string& endpoint, std::string_view why);
  void sweep();
  void publish_registration(const Client& c, std::string_view msg_type, bool with_objects);
  std::optional<std::string> psk_for(const std::string& identity);
  void update_snapshot(const Client& c);  // after any change to c

  // --- device management (device_management.cpp) ---
  void on_bus_command(const MessagePtr& msg);
  void run_command(const std::string& endpoint, std::string_view text, CommandCallbacks cb);
  void dispatch(Client& c, Command cmd, CommandCallbacks cb);
  void flush_queue(Client& c);
  void observe_path(Client& c, const Path& path);
  void reobserve(Client& c);
  bool on_coap_response(coap_session_t* session, const std::string& token, const CoapResponse& rsp);
  void on_coap_failure(const std::string& token, bool reset, const std::string& why);
  void on_timeout(const std::string& token);
  void complete(const std::string& token, const CoapResponse& rsp);
  void notification(const std::string& token, const CoapResponse& rsp);
  void forget_tokens(Client& c);
  void answer(const std::string& endpoint, const nlohmann::json& reply, const CommandCallbacks& cb);
  // An answer the server gives itself (local_reply): published as answer() does.
  // Ends the client's count toward its device's presence, if it has one.
  void go_offline(Client& c);
  // Where requests to the client go from now on (null: nowhere).
  void speak_on(Client& c, coap_session_t* session);
  void refuse_command(const std::string& endpoint, const nlohmann::json& reply,
                      const CommandCallbacks& cb);
  void publish(const std::string& endpoint, const std::string& suffix, const nlohmann::json& j);
  bool awake(const Client& c) const;
  std::string new_token();

  TypeLookup lookup;
  boost::asio::io_context& io;
  Strand strand;
  Bus& bus;
  ServerCounters counters;
  const objects::ObjectRegistry& objects;
  ServerOptions options;
  Authenticator* auth;
  DeviceDirectory* directory;
  std::shared_ptr<Subscriber> tap;
  std::unique_ptr<CoapRuntime> coap;
  boost::asio::steady_timer sweeper;
  bool stopped = false;

  std::unordered_map<std::string, Client> clients;         // by endpoint name
  std::unordered_map<std::string, std::string> locations;  // /rd/{id} -> endpoint
  // The registration that last spoke on each session, which a Send comes from;
  // several may share one (a gateway, or a client registering anew).
  std::unordered_map<coap_session_t*, std::string> endpoint_of_session;
  std::unordered_map<std::string, Pending> pending;  // by token
  // Tokens of established observations -> (endpoint, path text).
  std::unordered_map<std::string, std::pair<std::string, std::string>> observed;
  std::unordered_map<std::string, std::string> psk_devices;  // PSK identity -> device id
  std::mt19937_64 rng;

  mutable std::mutex snapshot_mu;
  std::map<std::string, ClientSummary> snapshot;  // registered clients by endpoint
};

}  // namespace trellis::lwm2m
