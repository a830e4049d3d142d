#pragma once
// The MQTT-SN gateway on UDP: one socket on its own strand, feeding
// GatewayCore and carrying out what it decides (datagrams, bus publishes,
// bus subscriptions). An aggregating gateway: every MQTT-SN client meets MQTT
// clients on the shared Bus, with no MQTT connection of its own.
//
// Threads: start(), stop(), clients() and disconnect() may be called from any
// thread; all socket and protocol work runs on the gateway's strand.
#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "adapters/mqttsn/options.hpp"
#include "core/auth.hpp"
#include "core/bus.hpp"
#include "core/clients.hpp"
#include "core/metrics.hpp"
#include "core/result.hpp"

namespace trellis::mqttsn {

class Gateway final : public ClientSource {
 public:
  // `directory` (may be null) admits client ids and hears presence.
  Gateway(boost::asio::io_context& io, Bus& bus, Metrics& metrics, GatewayOptions options,
          DeviceDirectory* directory = nullptr);
  ~Gateway() override;
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Binds the socket and starts receiving and the timers. Error codes:
  // "mqttsn_bind" (address unusable or port taken).
  Status start();
  // Closes the socket and ends every session (no wills: the clients did not
  // vanish, the gateway did). Returns at once; the work finishes on the strand.
  void stop();
  // True once stop() has finished its work (sessions ended, socket closed),
  // for a shutdown that waits for it.
  bool stopped() const;
  // The bound UDP port (useful when options.port was 0); 0 before start().
  uint16_t port() const;

  std::vector<ClientInfo> clients() const override;
  bool disconnect(const std::string& client_id) override;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace trellis::mqttsn
