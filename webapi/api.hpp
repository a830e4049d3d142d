#pragma once
// The REST API under /api/v1: the route table with its handlers, bearer-key
// authentication and dispatch (404 / 405 as JSON). Independent of sockets:
// the HTTP session hands it a Request and sends the Response it gets back.
// Thread-safe once built; handlers run on the calling session's strand.
#include <memory>
#include <optional>
#include <string>

#include "webapi/http_server.hpp"
#include "webapi/request.hpp"
#include "webapi/router.hpp"

namespace trellis::webapi {

class CommandService;

// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_address(const std::string& bind);

class Api {
 public:
  Api(HttpServerOptions options, Services services, std::shared_ptr<CommandService> commands);

  // Authenticates, routes and runs the handler; `reply` runs exactly once.
  void handle(Request req, Reply reply) const;
  const Router& router() const { return router_; }
  bool auth_required() const { return auth_required_; }

 private:
  void add_routes();
  // Who sent a request, from its bearer key: nullopt when the key is missing
  // or unknown; otherwise the application it belongs to, or an empty optional
  // for one of http.api_keys.
  std::optional<std::optional<Principal>> caller(const Request& req) const;

  HttpServerOptions options_;
  Services services_;
  std::shared_ptr<CommandService> commands_;
  bool auth_required_ = false;
  Router router_;
};

}  // namespace trellis::webapi
