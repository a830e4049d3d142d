#pragma once
// Connected clients of every protocol, as the REST API lists them. Each adapter
// that holds connections is a ClientSource; the app hands them all to webapi.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace trellis {

struct ClientInfo {
  std::string client_id;
  std::string protocol;   // "mqtt", "mqttsn", "lwm2m"
  std::string transport;  // tcp, tls, ws, wss, udp, dtls
  std::string remote;     // "ip:port"
  std::string username;
  bool clean_session = true;
  uint16_t keepalive = 0;  // seconds (LwM2M: lifetime)
  int64_t connected_at_ms = 0;
  std::size_t subscriptions = 0;
  std::size_t queued = 0;
  std::size_t inflight = 0;
  std::string state;  // protocol-specific, e.g. "active", "asleep", "registered"
};

class ClientSource {
 public:
  virtual ~ClientSource() = default;
  virtual std::vector<ClientInfo> clients() const = 0;
  // Ends a client's connection as if it had vanished; false if it is not connected.
  virtual bool disconnect(const std::string& client_id) = 0;
};

// What became of a command handed to a CommandTarget. Called on the adapter's
// strand: queue or post, never block.
struct CommandCallbacks {
  // The device sleeps (LwM2M queue mode): the command waits for it to wake.
  std::function<void()> queued;
  // The answer, as JSON text (for LwM2M, exactly what is also published on up/resp).
  std::function<void(const std::string& json)> done;
  // Instead of `done` when the adapter itself refused the command or gave up
  // on it (unknown endpoint, bad command, no answer from the device): the
  // same JSON, also published; for LwM2M, data.codeMsg and data.error say why.
  std::function<void(const std::string& json)> refused;
};

// An adapter that runs JSON commands for its devices, for the REST API.
class CommandTarget {
 public:
  virtual ~CommandTarget() = default;
  virtual void submit(const std::string& endpoint, const std::string& command_json,
                      CommandCallbacks callbacks) = 0;
};

}  // namespace trellis
