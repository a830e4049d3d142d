// trellis: one process for MQTT, MQTT-SN and LwM2M devices, with a registry,
// telemetry store and REST API. See README.md.
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <iostream>

#include "app/server.hpp"
#include "config/command_line.hpp"
#include "config/config.hpp"
#include "config/docs.hpp"
#include "core/log.hpp"

int main(int argc, char** argv) {
  using namespace trellis;
  auto cmd = config::parse_command_line(argc, argv);
  if (!cmd) {
    std::cerr << "trellis: " << cmd.error().message << "\n";
    return 2;
  }
  if (cmd->help) {
    std::cout << config::help_text("trellis");
    return 0;
  }
  if (cmd->version) {
    std::cout << config::version_text();
    return 0;
  }
  auto cfg = config::load(*cmd, config::process_env);
  if (!cfg) {
    std::cerr << cfg.error().message << "\n";
    return 2;
  }
  if (cmd->print_config) {
    std::cout << cfg->dump() << "\n";
    return 0;
  }
  log::set_level(*log::parse_level(cfg->get_string("log.level")));

  app::Server server(*cfg);
  if (auto st = server.start(); !st) {
    TLOG(error, "trellis") << "start-up failed: " << st.error().message;
    return 1;
  }
  server.run();
  return 0;
}
